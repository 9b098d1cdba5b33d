import { createHmac, timingSafeEqual } from 'node:crypto'

/** One entry of the `access` claim Qdrant's `jwt_rbac` reads (see its security guide). */
export interface QdrantCollectionAccess {
  collection: string
  access: 'r' | 'rw'
}

export interface QdrantTokenClaims {
  access: QdrantCollectionAccess[]
  /** Unix seconds; Qdrant allows 30 s of clock skew. */
  exp?: number
}

export interface MintQdrantTokenOptions {
  /** When the token stops working: a Date or unix seconds. Absent: no `exp` claim. */
  expiresAt?: Date | number
  /** `rw` (default) or `r` for a read-only token. */
  access?: 'r' | 'rw'
}

const HEADER = { alg: 'HS256', typ: 'JWT' }

function base64url(json: unknown): string {
  return Buffer.from(JSON.stringify(json)).toString('base64url')
}

function sign(apiKey: string, signingInput: string): Buffer {
  return createHmac('sha256', apiKey).update(signingInput).digest()
}

function unixSeconds(at: Date | number): number {
  const seconds = at instanceof Date ? Math.floor(at.getTime() / 1000) : at
  if (!Number.isInteger(seconds) || seconds <= 0) {
    throw new Error(
      `qdrant token: expiresAt must be a Date or positive unix seconds, got ${String(at)}`,
    )
  }
  return seconds
}

/**
 * An HS256 JWT, signed with Qdrant's API key, whose `access` claim lists exactly these
 * collections. Qdrant treats a token WITHOUT `access` as a manage (master) token, so an
 * empty list is refused rather than producing one.
 */
export function mintQdrantToken(
  apiKey: string,
  collections: readonly string[],
  options: MintQdrantTokenOptions = {},
): string {
  if (!apiKey) throw new Error('qdrant token: the API key (signing secret) is empty')
  if (collections.length === 0) {
    throw new Error(
      'qdrant token: refusing to mint a token for no collections (it would be a master token)',
    )
  }
  const seen = new Set<string>()
  for (const collection of collections) {
    if (typeof collection !== 'string' || collection.length === 0) {
      throw new Error(`qdrant token: invalid collection name ${JSON.stringify(collection)}`)
    }
    if (seen.has(collection))
      throw new Error(`qdrant token: collection "${collection}" listed twice`)
    seen.add(collection)
  }
  const mode = options.access ?? 'rw'
  const claims: QdrantTokenClaims = {
    access: collections.map((collection) => ({ collection, access: mode })),
  }
  if (options.expiresAt !== undefined) claims.exp = unixSeconds(options.expiresAt)
  const signingInput = `${base64url(HEADER)}.${base64url(claims)}`
  return `${signingInput}.${sign(apiKey, signingInput).toString('base64url')}`
}

function parts(token: string): [string, string, string] {
  const split = token.split('.')
  if (split.length !== 3)
    throw new Error('qdrant token: not a JWT (expected three dot-separated parts)')
  return split as [string, string, string]
}

/**
 * The collections a token's `access` claim names, read WITHOUT verifying the signature
 * (the app does not hold the key; the server verifies). Throws for anything that is not a
 * collection-scoped token: a raw API key, a token without `access`, or a global `access`.
 */
export function collectionsInQdrantToken(token: string): string[] {
  const [, payload] = parts(token)
  let claims: unknown
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  } catch {
    throw new Error('qdrant token: payload is not JSON')
  }
  const access = (claims as { access?: unknown } | null)?.access
  if (!Array.isArray(access)) {
    throw new Error(
      'qdrant token: no collection list in `access`; refusing a global or master token',
    )
  }
  return access.map((entry: { collection?: unknown }) => {
    if (typeof entry?.collection !== 'string')
      throw new Error('qdrant token: malformed `access` entry')
    return entry.collection
  })
}

/**
 * Whether `token` is still the right token: signed with `apiKey`, granting `rw` on exactly
 * `collections`, and not expiring within `minRemainingSeconds`. Lets the provisioner keep
 * an app's token across runs (idempotent) and mint a new one only when something changed.
 */
export function isQdrantTokenCurrent(
  token: string,
  apiKey: string,
  collections: readonly string[],
  { minRemainingSeconds = 0, now = Date.now() } = {},
): boolean {
  let header: string
  let payload: string
  let signature: string
  try {
    ;[header, payload, signature] = parts(token)
  } catch {
    return false
  }
  const expected = sign(apiKey, `${header}.${payload}`)
  const given = Buffer.from(signature, 'base64url')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false
  let claims: Partial<QdrantTokenClaims>
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  } catch {
    return false
  }
  if (!Array.isArray(claims.access) || claims.access.length !== collections.length) return false
  const granted = new Set(claims.access.filter((a) => a.access === 'rw').map((a) => a.collection))
  if (granted.size !== collections.length || !collections.every((c) => granted.has(c))) return false
  return claims.exp === undefined || claims.exp - minRemainingSeconds > now / 1000
}
