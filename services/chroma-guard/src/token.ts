import { type AppIdentity, bearerToken, sameSecret, verifyAppToken } from '@flotilla/stack'

/** An app holds its tenant and database as its token's claims: the guard derives neither. */
export type Identity = { kind: 'admin' } | ({ kind: 'app' } & AppIdentity<'chroma'>)

/**
 * Who holds this token, or undefined when it is neither the admin token nor a valid app
 * token (`appToken('chroma', guardSecret, app, { tenant, database })`, from the provisioner).
 */
export async function identify(
  token: string,
  secrets: { guardSecret: string; adminToken: string },
): Promise<Identity | undefined> {
  if (sameSecret(token, secrets.adminToken)) return { kind: 'admin' }
  const app = await verifyAppToken('chroma', secrets.guardSecret, token)
  return app === undefined ? undefined : { kind: 'app', ...app }
}

/** The chromadb clients send the token as `x-chroma-token` or `Authorization: Bearer`. */
export function tokenFromHeaders(headers: Record<string, string | string[] | undefined>) {
  const chromaToken = headers['x-chroma-token']
  if (typeof chromaToken === 'string' && chromaToken !== '') return chromaToken
  return bearerToken(headers.authorization)
}
