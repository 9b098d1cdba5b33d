import { decodeJwt, type JWTPayload, jwtVerify, SignJWT } from 'jose'

/** One entry of the `access` claim Qdrant's `jwt_rbac` reads (see its security guide). */
export interface QdrantCollectionAccess {
  collection: string
  access: 'r' | 'rw'
}

export interface QdrantTokenClaims {
  access: QdrantCollectionAccess[]
  /** Unix seconds; Qdrant allows 30 s of clock skew. */
  exp: number
}

const DAY = 24 * 60 * 60

/**
 * How long an app's token lives, and how long before its end the provisioner replaces it.
 * Qdrant keeps no list of revoked tokens: `exp` is the only bound on a token copied out of a
 * credential file or a backup (rotating the API key is the immediate, fleet-wide revocation).
 * 30 days bounds that; renewing in the last 10 means any provision run in that window (every
 * `docker compose up`, or a weekly scheduled `scripts/provision`) renews in time, with room for
 * a failed run.
 */
export interface QdrantTokenPolicy {
  lifetimeSeconds: number
  renewBeforeSeconds: number
}

export const DEFAULT_QDRANT_TOKEN_POLICY: QdrantTokenPolicy = {
  lifetimeSeconds: 30 * DAY,
  renewBeforeSeconds: 10 * DAY,
}

export interface MintQdrantTokenOptions {
  /** Seconds from `now` until the token stops working; default 30 days. */
  lifetimeSeconds?: number
  /** `rw` (default) or `r` for a read-only token. */
  access?: 'r' | 'rw'
  /** Milliseconds since the epoch; default the clock. */
  now?: number
}

/** Qdrant verifies with the API key's UTF-8 bytes as the HS256 secret. */
const secretOf = (apiKey: string) => new TextEncoder().encode(apiKey)

/**
 * An HS256 JWT, signed with Qdrant's API key, whose `access` claim lists exactly these
 * collections, expiring after `lifetimeSeconds`. Qdrant gives a token WITHOUT `access` full
 * (manage) access, and an empty list grants nothing: neither is what an app needs, so no
 * collections is refused.
 */
export async function mintQdrantToken(
  apiKey: string,
  collections: readonly string[],
  options: MintQdrantTokenOptions = {},
): Promise<string> {
  if (!apiKey) throw new Error('qdrant token: the API key (signing secret) is empty')
  if (collections.length === 0) {
    throw new Error(
      'qdrant token: refusing to mint a token for no collections (an empty access list grants nothing)',
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
  const lifetime = options.lifetimeSeconds ?? DEFAULT_QDRANT_TOKEN_POLICY.lifetimeSeconds
  if (!Number.isInteger(lifetime) || lifetime <= 0) {
    throw new Error(`qdrant token: lifetimeSeconds must be a positive integer, got ${lifetime}`)
  }
  const mode = options.access ?? 'rw'
  const access: QdrantCollectionAccess[] = collections.map((collection) => ({
    collection,
    access: mode,
  }))
  const now = Math.floor((options.now ?? Date.now()) / 1000)
  return new SignJWT({ access })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setExpirationTime(now + lifetime)
    .sign(secretOf(apiKey))
}

function claimsOf(token: string): JWTPayload {
  try {
    return decodeJwt(token)
  } catch {
    throw new Error('qdrant token: not a JWT')
  }
}

/**
 * The collections a token's `access` claim names, read WITHOUT verifying the signature
 * (the app does not hold the key; the server verifies). Throws for anything that is not a
 * collection-scoped token: a raw API key, a token without `access` (full access in Qdrant),
 * or a global `access` mode.
 */
export function collectionsInQdrantToken(token: string): string[] {
  const { access } = claimsOf(token)
  if (!Array.isArray(access)) {
    throw new Error(
      'qdrant token: no collection list in `access`; refusing a token with global or full access',
    )
  }
  return access.map((entry: { collection?: unknown }) => {
    if (typeof entry?.collection !== 'string')
      throw new Error('qdrant token: malformed `access` entry')
    return entry.collection
  })
}

/** When the token stops working (unix seconds), read without verifying; undefined without `exp`. */
export function qdrantTokenExpiry(token: string): number | undefined {
  const { exp } = claimsOf(token)
  return typeof exp === 'number' ? exp : undefined
}

/**
 * Whether the provisioner can keep `token`: signed with `apiKey`, granting `rw` on exactly
 * `collections`, with an `exp` more than `renewBeforeSeconds` away. A token without `exp`
 * (minted before tokens expired) is replaced.
 */
export async function isQdrantTokenCurrent(
  token: string,
  apiKey: string,
  collections: readonly string[],
  { renewBeforeSeconds = DEFAULT_QDRANT_TOKEN_POLICY.renewBeforeSeconds, now = Date.now() } = {},
): Promise<boolean> {
  let claims: JWTPayload
  try {
    ;({ payload: claims } = await jwtVerify(token, secretOf(apiKey), {
      algorithms: ['HS256'],
      currentDate: new Date(now),
    }))
  } catch {
    return false
  }
  if (typeof claims.exp !== 'number' || claims.exp - renewBeforeSeconds <= now / 1000) return false
  const access = claims.access as Partial<QdrantCollectionAccess>[] | undefined
  if (!Array.isArray(access) || access.length !== collections.length) return false
  const granted = new Set(access.filter((a) => a.access === 'rw').map((a) => a.collection))
  return granted.size === collections.length && collections.every((c) => granted.has(c))
}
