import { serviceConfig } from '@flotilla/service'
import { type Static, Type } from 'typebox'

export const guardConfigSchema = serviceConfig({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 7475 }),
  /** Neo4j's Bolt address, reachable only from the guard and the provisioner. */
  NEO4J_URL: Type.String({ pattern: '^(bolt|neo4j)(\\+s|\\+ssc)?://[^/?#]+/?$' }),
  /** The DBMS admin: Community has no other kind of user. Only the guard holds it. */
  NEO4J_USER: Type.String({ minLength: 1, default: 'neo4j' }),
  NEO4J_PASSWORD: Type.String({ minLength: 1 }),
  /** The key app tokens (HS256 JWTs) are signed with; held by the guard and the provisioner. */
  NEO4J_GUARD_SECRET: Type.String({ minLength: 32 }),
  // An import batch is up to 10000 nodes or links with their properties.
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1, default: 16 * 1024 * 1024 }),
  /** Every other route: one node, link or query (capped at BODY_LIMIT_BYTES). */
  OPERATION_BODY_LIMIT_BYTES: Type.Integer({ minimum: 1, default: 1024 * 1024 }),
  /** Every statement's transaction timeout: one app cannot hold Neo4j busy for long. */
  NEO4J_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 30_000 }),
})

export type GuardConfig = Static<typeof guardConfigSchema>
