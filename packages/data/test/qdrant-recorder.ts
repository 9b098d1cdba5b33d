import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { App } from '@flotilla/stack'
import { errors, jwtVerify } from 'jose'
import { resourcesFor } from '../src/names.js'
import type { ProvisionTarget } from '../src/provision-types.js'

/** The server docker-compose.yml pins; answered at `GET /` like Qdrant does. */
export const QDRANT_SERVER_VERSION = '1.15.5'

export interface RecordedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: unknown
  /** The status answered: 401/403 when the credential was refused. */
  status: number
}

interface Collection {
  vectors: unknown
  payloadSchema: Record<string, { data_type: string; params: unknown; points: number }>
}

/** What a credential may do, as Qdrant 1.15.5's `storage::rbac::Access` models it. */
type Access =
  | { global: 'm' | 'r' }
  | { collections: Map<string, string> } /* collection → 'r' | 'rw' | 'prw' */

type Refusal = { status: 401 | 403; message: string }

/**
 * Qdrant 1.15.5's check of a request's credential (`src/common/auth/mod.rs`
 * `AuthKeys::validate_request` and `jwt_parser.rs`): the `api-key` header, else
 * `Authorization: Bearer`; the API key itself is full access; otherwise an HS256 JWT signed
 * with the API key, `exp` checked with 30 s leeway and optional, a bad signature or an expired
 * token 403, anything else 401. A token without `access` has full access (`claims.rs`
 * `default_access`); an `access` list grants exactly the collections it names.
 */
async function qdrantAccess(
  apiKey: string,
  headers: IncomingHttpHeaders,
): Promise<Access | Refusal> {
  const header = headers['api-key']
  const bearer = headers.authorization?.startsWith('Bearer ')
    ? headers.authorization.slice('Bearer '.length)
    : undefined
  const key = (Array.isArray(header) ? header[0] : header) ?? bearer
  if (!key)
    return { status: 401, message: 'Must provide an API key or an Authorization bearer token' }
  if (key === apiKey) return { global: 'm' }
  let claims: Record<string, unknown>
  try {
    ;({ payload: claims } = await jwtVerify(key, new TextEncoder().encode(apiKey), {
      algorithms: ['HS256'],
      clockTolerance: 30,
    }))
  } catch (error) {
    if (
      error instanceof errors.JWSSignatureVerificationFailed ||
      error instanceof errors.JWTExpired
    )
      return { status: 403, message: String((error as Error).message) }
    return { status: 401, message: 'Invalid API key or JWT' }
  }
  const { access } = claims
  if (access === undefined || access === 'm') return { global: 'm' }
  if (access === 'r') return { global: 'r' }
  if (!Array.isArray(access)) return { status: 401, message: 'Invalid API key or JWT' }
  return {
    collections: new Map(
      access.map((entry: { collection: string; access: string }) => [
        entry.collection,
        entry.access,
      ]),
    ),
  }
}

type Need = 'read' | 'write' | 'manage'

/** Whether `access` meets `need` on `collection` (`rbac/mod.rs` `check_collection_access`). */
function allows(access: Access, need: Need, collection?: string): boolean {
  if ('global' in access) return access.global === 'm' || need === 'read'
  if (need === 'manage' || collection === undefined) return false
  const mode = access.collections.get(collection)
  return mode !== undefined && (need === 'read' || mode !== 'r')
}

const POINT_WRITES = new Set(['delete', 'payload', 'payload/delete', 'payload/clear', 'batch'])

/** What a request on `/collections/<name>/<rest>` needs (Qdrant's REST handlers). */
function needOf(method: string, rest: string): Need {
  if (rest === '' || rest === 'exists') return method === 'GET' ? 'read' : 'manage'
  if (rest === 'snapshots/upload' || rest === 'snapshots/recover') return 'manage'
  if (rest.startsWith('points')) {
    const sub = rest.slice('points/'.length)
    if (method === 'POST')
      return POINT_WRITES.has(sub) || sub.startsWith('vectors') ? 'write' : 'read'
    return method === 'GET' ? 'read' : 'write'
  }
  return method === 'GET' ? 'read' : 'write'
}

/** `/`, `/healthz`, `/readyz*`, `/livez*` answer without a key (`src/actix/mod.rs` whitelist). */
const isOpenPath = (path: string) =>
  path === '/' || path === '/healthz' || path.startsWith('/readyz') || path.startsWith('/livez')

/** What Qdrant answers instead of running the request, or undefined when it runs it. */
export async function qdrantRefusal(
  apiKey: string,
  method: string,
  pathname: string,
  headers: IncomingHttpHeaders,
): Promise<Refusal | undefined> {
  if (isOpenPath(pathname)) return undefined
  const access = await qdrantAccess(apiKey, headers)
  if ('status' in access) return access
  const [, root, name, ...rest] = pathname.split('/')
  if (root !== 'collections' || !name) return undefined
  const need = needOf(method, rest.join('/'))
  if (allows(access, need, decodeURIComponent(name))) return undefined
  return {
    status: 403,
    message:
      need === 'manage'
        ? 'Manage access for this operation is required'
        : `Access to collection ${decodeURIComponent(name)} is required`,
  }
}

/**
 * A stand-in for Qdrant's REST API that records every request, checks each credential the
 * way Qdrant 1.15.5 does (`jwt_rbac: true`, `apiKey` as `service.api_key`), and answers the
 * routes provisioning and readiness read, in the documented envelope `{result, status, time}`.
 */
export async function startQdrantRecorder({
  apiKey,
  version = QDRANT_SERVER_VERSION,
}: {
  apiKey: string
  version?: string
}) {
  const requests: RecordedRequest[] = []
  const collections = new Map<string, Collection>()
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const text = Buffer.concat(chunks).toString('utf8')
    const url = new URL(req.url ?? '/', 'http://qdrant')
    const body = text ? JSON.parse(text) : undefined
    const method = req.method ?? ''
    const recorded: RecordedRequest = {
      method,
      path: `${url.pathname}${url.search}`,
      headers: req.headers,
      body,
      status: 200,
    }
    requests.push(recorded)
    const reply = (status: number, result: unknown) => {
      recorded.status = status
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify(
          status < 300 ? { result, status: 'ok', time: 0 } : { status: { error: result } },
        ),
      )
    }
    if (method === 'GET' && url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ title: 'qdrant - vector search engine', version }))
      return
    }
    if (method === 'GET' && url.pathname === '/readyz') {
      res.writeHead(200).end('all shards are ready')
      return
    }
    const refused = await qdrantRefusal(apiKey, method, url.pathname, req.headers)
    if (refused) {
      recorded.status = refused.status
      res.writeHead(refused.status, { 'content-type': 'text/plain' }).end(refused.message)
      return
    }
    const parts = url.pathname.split('/').filter(Boolean)
    if (parts[0] !== 'collections') return reply(404, 'Not found')
    if (!parts[1]) {
      if (method !== 'GET') return reply(404, 'Not found')
      const access = (await qdrantAccess(apiKey, req.headers)) as Access
      const visible = [...collections.keys()].filter((name) => allows(access, 'read', name))
      return reply(200, { collections: visible.map((name) => ({ name })) })
    }
    const name = decodeURIComponent(parts[1])
    const rest = parts.slice(2).join('/')
    const collection = collections.get(name)
    if (method === 'GET' && rest === 'exists') return reply(200, { exists: Boolean(collection) })
    if (method === 'PUT' && rest === '') {
      collections.set(name, { vectors: body.vectors, payloadSchema: {} })
      return reply(200, true)
    }
    if (!collection) return reply(404, `Collection \`${name}\` doesn't exist!`)
    if (method === 'GET' && rest === '') {
      return reply(200, {
        status: 'green',
        points_count: 0,
        segments_count: 1,
        config: { params: { vectors: collection.vectors } },
        payload_schema: collection.payloadSchema,
      })
    }
    if (method === 'PUT' && rest === 'index') {
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
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** A registry app as loadRegistry would produce it, so names come from resourcesFor. */
export function targetFor(
  name: string,
  qdrant: string[] | undefined,
  neo4j = false,
): ProvisionTarget {
  // Only what resourcesFor reads; the rest of an App does not bear on names.
  const app = {
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
    env: {},
  } as App
  return { name, resources: resourcesFor(app) }
}
