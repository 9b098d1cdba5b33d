import { createHash, timingSafeEqual } from 'node:crypto'
import { decodeJwt, type JWTPayload, jwtVerify, SignJWT } from 'jose'
import { type Static, Type } from 'typebox'
import Value from 'typebox/value'
import { APP_NAME_PATTERN } from './names.js'

/** A store name a token carries: a plain word, nothing a path, a query or Cypher could parse. */
const StoreName = Type.String({ pattern: '^[A-Za-z0-9_-]{1,63}$' })

/**
 * What each service reads from an app's token besides the app (`sub`): the names the
 * provisioner gave the app there, so the service derives none of them.
 */
const strict = { additionalProperties: false } as const
const CLAIMS = {
  chroma: Type.Object({ tenant: StoreName, database: StoreName }, strict),
  neo4j: Type.Object({ label: StoreName }, strict),
  // The embedder keeps each caller's collections apart by the caller's name alone.
  embedder: Type.Object({}, strict),
}

/**
 * The services an app proves its name to. Each holds its own secret, and the audience is
 * signed too: a token for one service opens nothing at another even under an equal secret.
 */
export type TokenAudience = keyof typeof CLAIMS
export type TokenClaims<A extends TokenAudience> = Static<(typeof CLAIMS)[A]>
/** A verified token: its app and the names it carries for the audience. */
export type AppIdentity<A extends TokenAudience> = { app: string } & TokenClaims<A>

const keyOf = (secret: string) => new TextEncoder().encode(secret)

/**
 * The token the provisioner hands an app for `audience`: an HS256 JWT under that service's
 * secret, `sub` the app, `aud` the service, and the app's names there as claims.
 * No `exp` and no `iat`: it is a long-lived service credential, renewed (and revoked, by a
 * new secret) only by re-provisioning, and a pure function of its inputs, so provisioning
 * twice writes the same credential file.
 */
export async function appToken<A extends TokenAudience>(
  audience: A,
  secret: string,
  app: string,
  claims: TokenClaims<A>,
): Promise<string> {
  if (!APP_NAME_PATTERN.test(app)) {
    throw new Error(`invalid app name ${JSON.stringify(app)} for a ${audience} token`)
  }
  if (secret.length === 0) throw new Error(`the ${audience} token secret is empty`)
  if (!Value.Check(CLAIMS[audience], claims)) {
    throw new Error(`invalid ${audience} token claims ${JSON.stringify(claims)}`)
  }
  return new SignJWT({ ...(claims as Record<string, string>) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(app)
    .setAudience(audience)
    .sign(keyOf(secret))
}

/** The app and the audience's names in `payload`, if it holds exactly those. */
function identityIn<A extends TokenAudience>(
  audience: A,
  payload: JWTPayload,
): AppIdentity<A> | undefined {
  const { sub, aud, exp: _exp, iat: _iat, nbf: _nbf, ...claims } = payload
  if (aud !== audience) return undefined
  if (typeof sub !== 'string' || !APP_NAME_PATTERN.test(sub)) return undefined
  if (!Value.Check(CLAIMS[audience], claims)) return undefined
  return { app: sub, ...(claims as TokenClaims<A>) }
}

/**
 * The app and names `token` carries for `audience` under `secret`, or undefined when it is
 * not such a token: another secret or audience, an altered claim, `alg: none`, an expired
 * or malformed one, or claims that are not the audience's names.
 */
export async function verifyAppToken<A extends TokenAudience>(
  audience: A,
  secret: string,
  token: string,
): Promise<AppIdentity<A> | undefined> {
  if (secret.length === 0) return undefined
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), {
      algorithms: ['HS256'],
      audience,
      requiredClaims: ['sub'],
    })
    return identityIn(audience, payload)
  } catch {
    return undefined
  }
}

/**
 * What `token` claims for `audience`, NOT verified: for an app to check that its token and
 * the names beside it in its credential file agree. Only the service can trust the claims.
 */
export function appTokenClaims<A extends TokenAudience>(
  audience: A,
  token: string,
): AppIdentity<A> | undefined {
  try {
    return identityIn(audience, decodeJwt(token))
  } catch {
    return undefined
  }
}

// Hashing first gives equal-length inputs, which timingSafeEqual requires.
const digest = (value: string) => createHash('sha256').update(value).digest()

/** Equal strings, compared in time independent of where they differ. */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b))
}

/** The token of an `Authorization: Bearer <token>` header, if that is what `value` is. */
export function bearerToken(value: string | string[] | undefined): string | undefined {
  if (typeof value !== 'string') return undefined
  return /^Bearer +(\S+)$/i.exec(value)?.[1]
}
