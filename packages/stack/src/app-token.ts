import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { APP_NAME_PATTERN } from './names.js'

/**
 * The services an app proves its name to. Each holds its own secret, and the audience is
 * signed too: a token for one service opens nothing at another even under an equal secret.
 */
export type TokenAudience = 'chroma' | 'neo4j' | 'embedder'

function signature(audience: TokenAudience, secret: string, app: string): string {
  return createHmac('sha256', secret).update(`${audience}:${app}`).digest('base64url')
}

/**
 * The token the provisioner hands an app for `audience`:
 * `<app>.<base64url(HMAC-SHA256(secret, "<audience>:" + app))>`. Derived, not stored, so
 * the service needs only the secret and a new app needs no reload there.
 */
export function appToken(audience: TokenAudience, secret: string, app: string): string {
  if (!APP_NAME_PATTERN.test(app)) {
    throw new Error(`invalid app name ${JSON.stringify(app)} for a ${audience} token`)
  }
  if (secret.length === 0) throw new Error(`the ${audience} token secret is empty`)
  return `${app}.${signature(audience, secret, app)}`
}

// Hashing first gives equal-length inputs, which timingSafeEqual requires.
const digest = (value: string) => createHash('sha256').update(value).digest()

/** Equal strings, compared in time independent of where they differ. */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b))
}

/** The app `token` was made for under `secret`, or undefined when it is not such a token. */
export function appOfToken(
  audience: TokenAudience,
  secret: string,
  token: string,
): string | undefined {
  const dot = token.indexOf('.')
  const app = token.slice(0, dot)
  if (dot < 0 || !APP_NAME_PATTERN.test(app) || secret.length === 0) return undefined
  return sameSecret(token.slice(dot + 1), signature(audience, secret, app)) ? app : undefined
}

/** The token of an `Authorization: Bearer <token>` header, if that is what `value` is. */
export function bearerToken(value: string | string[] | undefined): string | undefined {
  if (typeof value !== 'string') return undefined
  return /^Bearer +(\S+)$/i.exec(value)?.[1]
}
