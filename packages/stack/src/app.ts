import type { Manifest, Tier } from './manifest.js'

/** One app of the registry: its manifest plus where it lives and its resolved Redis DB. */
export interface App {
  /** Package name without scope; equal to its folder name under apps/. */
  name: string
  packageName: string
  /** POSIX path relative to the registry root, e.g. `apps/notes`. */
  dir: string
  /** POSIX path relative to the registry root, e.g. `apps/notes/package.json`. */
  manifestFile: string
  tier: Tier
  route: string
  port: number
  stores: Manifest['stores']
  resources: Manifest['resources']
  profile: string | null
  /** ML tier: the model folder it serves (MODEL_DIR is /opt/models/<model>); base tier: null. */
  model: string | null
  /** Operator settings passed through from .env (`<APP>_VAR`), with what each is for. */
  env: Record<string, string>
  /** Explicit `redisDb` or the derived one; non-null exactly when `stores.redis` is true. */
  redisDb: number | null
}

export interface Registry {
  /** Absolute path of the repository root the registry was loaded from. */
  root: string
  /** Sorted by name. */
  apps: readonly App[]
}
