import { type AppIdentity, appToken, verifyAppToken } from '@flotilla/stack'
import { LABEL_PATTERN } from './identifiers.js'

/**
 * An app's neo4j-guard token: the shared app token (an HS256 JWT, audience `neo4j`) under
 * the Neo4j guard's own secret, carrying the app's label so the guard derives none.
 */
export function neo4jGuardToken(secret: string, app: string, label: string): Promise<string> {
  return appToken('neo4j', secret, app, { label })
}

/**
 * The app and label a token was minted with, or undefined when it is not a valid token
 * under `secret` or its label is not an app's label (which could reach another's nodes).
 */
export async function verifyNeo4jGuardToken(
  token: string,
  secret: string,
): Promise<AppIdentity<'neo4j'> | undefined> {
  const caller = await verifyAppToken('neo4j', secret, token)
  return caller && LABEL_PATTERN.test(caller.label) ? caller : undefined
}
