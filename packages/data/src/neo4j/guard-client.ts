import { AppError } from '@flotilla/service'
import { GUARD_ROUTES, type GuardBody, type GuardResponse, type GuardRoutes } from './guard-api.js'
import { GraphInputError } from './identifiers.js'
import type { GraphOperations } from './operations.js'

/** Community: the app reaches Neo4j only through neo4j-guard, with its own token. */
export interface GuardGraphConfig {
  /** The guard, e.g. http://neo4j-guard:7475. */
  url: string
  /** The app's guard token (NEO4J_TOKEN); the guard reads the label from its claims. */
  token: string
  /** The app's label (NEO4J_LABEL); checked against the guard's on ready(). */
  label: string
  /** Whether /readyz fails without Neo4j. Default true. */
  required?: boolean
  /** Per request; default 30 s. */
  timeoutMs?: number
}

const unavailable = (reason: string) =>
  new AppError(503, 'DEPENDENCY_UNAVAILABLE', `neo4j is unavailable: ${reason}`)

/** GraphOperations as requests to the guard; its 400s come back as GraphInputError. */
export function guardOperations(config: GuardGraphConfig): GraphOperations {
  const base = config.url.replace(/\/+$/, '')
  const timeoutMs = config.timeoutMs ?? 30_000

  async function call<K extends keyof GuardRoutes>(
    name: K,
    body?: GuardBody<K>,
    signal?: AbortSignal,
  ): Promise<GuardResponse<K>> {
    const route = GUARD_ROUTES[name]
    const timeout = AbortSignal.timeout(timeoutMs)
    let response: Response
    try {
      response = await fetch(`${base}${route.path}`, {
        method: route.method,
        headers: {
          authorization: `Bearer ${config.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      })
    } catch (error) {
      throw unavailable(`neo4j-guard did not answer (${(error as Error).message})`)
    }
    const answer = (await response.json().catch(() => undefined)) as
      | (GuardResponse<K> & { error?: { code?: string; message?: string } })
      | undefined
    if (response.ok && answer) return answer
    const detail = `${response.status} ${answer?.error?.code ?? ''}: ${answer?.error?.message ?? ''}`
    if (response.status === 400 || response.status === 413) {
      throw new GraphInputError(`neo4j-guard refused the input (${detail})`)
    }
    if (response.status >= 502 && response.status <= 504) throw unavailable(detail)
    // 401/403 mean a wrong token or a misconfigured guard: the operator's problem, not input.
    throw new Error(`neo4j: neo4j-guard answered ${detail}`)
  }

  return {
    upsertNode: async (id, props) => (await call('upsertNode', { id, props })).node,
    getNode: async (id) => (await call('getNode', { id })).node ?? undefined,
    deleteNode: async (id) => (await call('deleteNode', { id })).deleted,
    link: async (from, to, type, props) => (await call('link', { from, to, type, props })).linked,
    unlink: async (from, to, type) => (await call('unlink', { from, to, type })).unlinked,
    neighbours: async (id, options = {}) => (await call('neighbours', { id, ...options })).nodes,
    count: async () => (await call('countNodes')).count,
    countLinks: async () => (await call('countLinks')).count,
    nodePage: async (after, pageSize) =>
      (await call('exportNodes', { after, pageSize })).nodes.map((node) => ({
        kind: 'node',
        ...node,
      })),
    linkPage: async (after, pageSize) =>
      (await call('exportLinks', { after, pageSize })).links.map((link) => ({
        kind: 'link',
        ...link,
      })),
    writeNodes: async (nodes) =>
      (await call('importNodes', { nodes: nodes.map(({ id, props }) => ({ id, props })) }))
        .imported,
    writeLinks: async (type, links) =>
      (
        await call('importLinks', {
          type,
          links: links.map(({ from, to, props }) => ({ from, to, props })),
        })
      ).linked,
    clearBatch: async (batchSize) => (await call('clear', { batchSize })).deleted,
    ready: async (signal) => {
      const { label } = await call('ready', undefined, signal)
      if (label !== config.label) {
        throw new Error(
          `neo4j: the guard gives this token label ${label}, the credentials name ${config.label}`,
        )
      }
    },
  }
}
