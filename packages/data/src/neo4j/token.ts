import { appOfToken, appToken } from '@flotilla/stack'

/**
 * An app's neo4j-guard token: the shared app token (`<app>.<HMAC-SHA256 of "neo4j:" + app>`)
 * under the Neo4j guard's own secret, so a token for another service opens nothing here.
 */
export function neo4jGuardToken(secret: string, app: string): string {
  return appToken('neo4j', secret, app)
}

/** The app a token was minted for, or undefined when it is not a valid token under `secret`. */
export function appOfNeo4jGuardToken(token: string, secret: string): string | undefined {
  return appOfToken('neo4j', secret, token)
}
