import type { AppResources } from './names.js'

/** One app as the provisioners see it: its name and the store resources derived for it. */
export interface ProvisionTarget {
  name: string
  resources: AppResources
}

/** One change a provisioner applied; an idempotent second run returns none. */
export interface Change {
  /** `postgres`, `redis`, `chroma`, `qdrant`, `neo4j`, or `secrets`. */
  store: string
  app: string
  /** Short verb phrase, e.g. `create role`, `create database`, `set acl user`. */
  action: string
  /** What exactly changed, never a secret. */
  detail: string
}
