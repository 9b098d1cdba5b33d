import type { Identity } from './token.js'

/** Where an app token's claims put the app: its tenant and database in Chroma. */
export interface Place {
  tenant: string
  database: string
}

export type Decision =
  | { action: 'forward' }
  /** Chroma does not check that an id-addressed collection lies in the tenant of the path. */
  | { action: 'forward-if-owned'; place: Place; collectionId: string }
  /** The guard answers `auth/identity` for an app itself: Chroma knows nothing of tokens. */
  | { action: 'identity'; app: string; place: Place }
  | { action: 'refuse'; message: string }

// Every segment a plain name: no empty (//), no dot segments, no percent-encoding.
const CANONICAL_PATH = /^(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)+$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** Harmless server-wide endpoints the chromadb JS client calls. */
const PUBLIC_ENDPOINTS = new Set([
  'GET /api/v2/heartbeat',
  'GET /api/v2/version',
  'GET /api/v2/pre-flight-checks',
  'GET /api/v2/healthcheck',
])

/** Operations on one collection, addressed by id: `collections/{id}/{operation}`. */
const COLLECTION_OPERATIONS: Record<string, string> = {
  add: 'POST',
  count: 'GET',
  delete: 'POST',
  get: 'POST',
  query: 'POST',
  search: 'POST',
  update: 'POST',
  upsert: 'POST',
  indexing_status: 'GET',
}

/** The request path, or undefined when it is not in the one spelling the guard accepts. */
function canonicalPath(rawUrl: string): string | undefined {
  const path = rawUrl.split('?', 1)[0] ?? ''
  if (!CANONICAL_PATH.test(path)) return undefined
  if (path.split('/').some((segment) => segment === '.' || segment === '..')) return undefined
  return path
}

const refuse = (message: string): Decision => ({ action: 'refuse', message })

/** What an app may do inside its `/api/v2/tenants/{tenant}/databases/{database}/`. */
function decideInDatabase(place: Place, method: string, rest: string[]): Decision {
  const [collections, target, operation, ...extra] = rest
  if (collections === 'collections_count' && target === undefined) {
    return method === 'GET' ? { action: 'forward' } : refuse('collections_count is read-only')
  }
  if (collections !== 'collections') return refuse('only collections are reachable')
  if (target === undefined) {
    return method === 'GET' || method === 'POST'
      ? { action: 'forward' }
      : refuse(`${method} on the collection list is not allowed`)
  }
  if (extra.length > 0) return refuse('unknown collection endpoint')
  if (target === 'by-id') {
    if (method !== 'GET' || operation === undefined || !UUID.test(operation)) {
      return refuse('by-id takes GET and a collection id')
    }
    return { action: 'forward-if-owned', place, collectionId: operation }
  }
  if (operation === undefined) {
    // GET and DELETE address the collection by name, which Chroma resolves inside the tenant;
    // PUT (modify) addresses it by id.
    if (method === 'GET' || method === 'DELETE') return { action: 'forward' }
    if (method === 'PUT' && UUID.test(target)) {
      return { action: 'forward-if-owned', place, collectionId: target }
    }
    return refuse(`${method} on a collection is not allowed`)
  }
  if (COLLECTION_OPERATIONS[operation] !== method || !UUID.test(target)) {
    return refuse(`${method} ${operation} on a collection is not allowed`)
  }
  return { action: 'forward-if-owned', place, collectionId: target }
}

/**
 * Decides a request against the raw URL exactly as received (the guard forwards that same
 * URL), so no decoding or normalisation can make the guard and Chroma disagree on a path.
 */
export function decideAccess(method: string, rawUrl: string, identity: Identity): Decision {
  const path = canonicalPath(rawUrl)
  if (identity.kind === 'admin') {
    return path ? { action: 'forward' } : refuse('path is not in canonical form')
  }
  if (path === undefined) return refuse('path is not in canonical form')
  if (PUBLIC_ENDPOINTS.has(`${method} ${path}`)) return { action: 'forward' }
  const { app, tenant: ownTenant, database: ownDatabase } = identity
  const place = { tenant: ownTenant, database: ownDatabase }
  if (method === 'GET' && path === '/api/v2/auth/identity') {
    return { action: 'identity', app, place }
  }

  const [, api, version, tenants, tenant, databases, database, ...rest] = path.split('/')
  if (api !== 'api' || version !== 'v2' || tenants !== 'tenants' || tenant === undefined) {
    return refuse(`${method} ${path} is not open to app tokens`)
  }
  if (tenant !== ownTenant) return refuse(`app ${app} may not use tenant ${tenant}`)
  if (databases === undefined) {
    return method === 'GET' ? { action: 'forward' } : refuse('the tenant is read-only')
  }
  if (databases !== 'databases' || database !== ownDatabase) {
    return refuse(`app ${app} may use only database ${ownDatabase}`)
  }
  if (rest.length === 0) {
    return method === 'GET' ? { action: 'forward' } : refuse('the database is read-only')
  }
  return decideInDatabase(place, method, rest)
}
