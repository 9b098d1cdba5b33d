import { createHash, timingSafeEqual } from 'node:crypto'
import { appToken } from '@flotilla/chroma-guard'

/**
 * An app's neo4j-guard token: chroma-guard's derivation (`<app>.<HMAC-SHA256 of the app>`)
 * under the Neo4j guard's own secret, so a Chroma token opens nothing here. Derived, not
 * stored: the guard needs only the secret, and a new app needs no guard reload.
 */
export function neo4jGuardToken(secret: string, app: string): string {
  return appToken(secret, app)
}

const digest = (value: string) => createHash('sha256').update(value).digest()

/** The app a token was minted for, or undefined when it is not a valid token under `secret`. */
export function appOfNeo4jGuardToken(token: string, secret: string): string | undefined {
  const app = token.slice(0, Math.max(token.indexOf('.'), 0))
  let expected: string
  try {
    expected = neo4jGuardToken(secret, app)
  } catch {
    return undefined // not an app name the registry allows
  }
  // Hashing first gives equal lengths, which timingSafeEqual needs.
  return timingSafeEqual(digest(token), digest(expected)) ? app : undefined
}
