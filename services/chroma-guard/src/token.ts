import { appOfToken, bearerToken, sameSecret } from '@flotilla/stack'

export type Identity = { kind: 'admin' } | { kind: 'app'; app: string }

/**
 * Who holds this token, or undefined when it is neither the admin token nor a valid app
 * token (`appToken('chroma', guardSecret, app)`, which the provisioner hands each app).
 */
export function identify(
  token: string,
  secrets: { guardSecret: string; adminToken: string },
): Identity | undefined {
  if (sameSecret(token, secrets.adminToken)) return { kind: 'admin' }
  const app = appOfToken('chroma', secrets.guardSecret, token)
  return app === undefined ? undefined : { kind: 'app', app }
}

/** The chromadb clients send the token as `x-chroma-token` or `Authorization: Bearer`. */
export function tokenFromHeaders(headers: Record<string, string | string[] | undefined>) {
  const chromaToken = headers['x-chroma-token']
  if (typeof chromaToken === 'string' && chromaToken !== '') return chromaToken
  return bearerToken(headers.authorization)
}
