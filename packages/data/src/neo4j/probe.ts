import type { StoreProbe } from '../probe-types.js'

/** Neo4j sits on neo4j_backend with its guard, whose /readyz runs a query on it. */
export const probe: StoreProbe = {
  description: 'Neo4j via neo4j-guard',
  url: 'http://neo4j-guard:7475/readyz',
}
