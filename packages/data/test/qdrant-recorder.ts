import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type App, resourcesFor } from '@flotilla/stack'
import type { ProvisionTarget } from '../src/types.js'

export interface RecordedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: unknown
}

interface Collection {
  vectors: unknown
  payloadSchema: Record<string, { data_type: string; params: unknown; points: number }>
}

/**
 * A stand-in for Qdrant's REST API that records every request and answers the few routes
 * provisioning reads, in the documented response envelope `{result, status, time}`.
 */
export async function startQdrantRecorder() {
  const requests: RecordedRequest[] = []
  const collections = new Map<string, Collection>()
  let readyStatus = 200
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const text = Buffer.concat(chunks).toString('utf8')
    const url = new URL(req.url ?? '/', 'http://qdrant')
    const body = text ? JSON.parse(text) : undefined
    requests.push({
      method: req.method ?? '',
      path: `${url.pathname}${url.search}`,
      headers: req.headers,
      body,
    })
    const reply = (status: number, result: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify(
          status < 300 ? { result, status: 'ok', time: 0 } : { status: { error: result } },
        ),
      )
    }
    const parts = url.pathname.split('/').filter(Boolean)
    if (req.method === 'GET' && url.pathname === '/readyz') {
      res.writeHead(readyStatus).end('all shards are ready')
      return
    }
    if (parts[0] !== 'collections' || !parts[1]) return reply(200, true)
    const name = decodeURIComponent(parts[1])
    const collection = collections.get(name)
    const rest = parts.slice(2).join('/')
    if (req.method === 'GET' && rest === 'exists')
      return reply(200, { exists: Boolean(collection) })
    if (req.method === 'PUT' && rest === '') {
      collections.set(name, { vectors: body.vectors, payloadSchema: {} })
      return reply(200, true)
    }
    if (!collection) return reply(404, `Collection \`${name}\` doesn't exist!`)
    if (req.method === 'GET' && rest === '') {
      return reply(200, {
        status: 'green',
        points_count: 0,
        segments_count: 1,
        config: { params: { vectors: collection.vectors } },
        payload_schema: collection.payloadSchema,
      })
    }
    if (req.method === 'PUT' && rest === 'index') {
      collection.payloadSchema[body.field_name] = {
        data_type: body.field_schema.type,
        params: body.field_schema,
        points: 0,
      }
      return reply(200, { operation_id: 1, status: 'completed' })
    }
    return reply(200, { operation_id: 2, status: 'completed' })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    collections,
    setReady(status: number) {
      readyStatus = status
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** A registry app as loadRegistry would produce it, so names come from resourcesFor. */
export function targetFor(
  name: string,
  qdrant: string[] | undefined,
  neo4j = false,
): ProvisionTarget {
  const app: App = {
    name,
    packageName: `@flotilla/${name}`,
    dir: `apps/${name}`,
    manifestFile: `apps/${name}/package.json`,
    tier: 'base',
    route: `/${name}/`,
    port: 3000,
    stores: { ...(qdrant ? { qdrant } : {}), ...(neo4j ? { neo4j } : {}) },
    resources: { memory: '64M', cpus: '0.25' },
    profile: null,
    redisDb: null,
  }
  return { name, resources: resourcesFor(app) }
}
