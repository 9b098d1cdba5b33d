import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

/** App names as the registry allows them; also the app's Chroma tenant. */
const APP_NAME = /^[a-z][a-z0-9_]{1,30}$/

export type Identity = { kind: 'admin' } | { kind: 'app'; app: string }

function signature(secret: string, app: string): string {
  return createHmac('sha256', secret).update(`chroma:${app}`).digest('base64url')
}

/**
 * The token the provisioner hands to an app: `<app>.<base64url(HMAC-SHA256(secret, "chroma:" + app))>`.
 * Derived, not stored, so the guard needs only the secret and a new app needs no guard reload.
 */
export function appToken(secret: string, app: string): string {
  if (!APP_NAME.test(app))
    throw new Error(`invalid app name ${JSON.stringify(app)} for a Chroma token`)
  if (secret.length === 0) throw new Error('the Chroma guard secret is empty')
  return `${app}.${signature(secret, app)}`
}

// Hashing first gives equal-length inputs, which timingSafeEqual requires.
function sameSecret(a: string, b: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest()
  return timingSafeEqual(digest(a), digest(b))
}

/** Who holds this token, or undefined when it is neither the admin token nor a valid app token. */
export function identify(
  token: string,
  secrets: { guardSecret: string; adminToken: string },
): Identity | undefined {
  if (sameSecret(token, secrets.adminToken)) return { kind: 'admin' }
  const dot = token.indexOf('.')
  const app = token.slice(0, dot)
  if (dot < 0 || !APP_NAME.test(app)) return undefined
  return sameSecret(token.slice(dot + 1), signature(secrets.guardSecret, app))
    ? { kind: 'app', app }
    : undefined
}

/** The chromadb clients send the token as `x-chroma-token` or `Authorization: Bearer`. */
export function tokenFromHeaders(headers: Record<string, string | string[] | undefined>) {
  const chromaToken = headers['x-chroma-token']
  if (typeof chromaToken === 'string' && chromaToken !== '') return chromaToken
  const authorization = headers.authorization
  if (typeof authorization !== 'string') return undefined
  const match = /^Bearer +(\S+)$/i.exec(authorization)
  return match?.[1]
}
