import { probe as chroma } from '@flotilla/data/chroma/probe'
import { probe as neo4j } from '@flotilla/data/neo4j/probe'
import { probe as postgres } from '@flotilla/data/postgres/probe'
import type { StoreProbe } from '@flotilla/data/probe-types'
import { probe as qdrant } from '@flotilla/data/qdrant/probe'
import { probe as redis } from '@flotilla/data/redis/probe'
import {
  isBackedUp,
  parseMemory,
  type Registry,
  STORE_NAMES,
  type StoreName,
} from '@flotilla/stack'
import type { Fleet, FleetService } from '../src/fleet.js'

/** How each store is probed: its own packages/data/src/<store>/probe.ts. */
const STORE_PROBES: Record<StoreName, StoreProbe> = { postgres, redis, qdrant, chroma, neo4j }

/**
 * The shared services every stack runs: each store, then nginx, the one that is no store
 * (connected to, as an HTTP probe of `/` would come back to this page).
 */
export const SHARED_SERVICES: readonly FleetService[] = [
  ...STORE_NAMES.map((name) => ({
    name,
    description: STORE_PROBES[name].description,
    probe: STORE_PROBES[name].url,
  })),
  { name: 'nginx', description: 'nginx', probe: 'tcp://nginx:80' },
]

/** Every registered app at its compose hostname (the app's name), plus the shared services. */
export function fleetFromRegistry(registry: Pick<Registry, 'apps'>): Fleet {
  return {
    apps: registry.apps.map((app) => ({
      name: app.name,
      tier: app.tier,
      route: app.route,
      port: app.port,
      profile: app.profile,
      memoryLimitBytes: parseMemory(app.resources.memory),
      url: `http://${app.name}:${app.port}`,
      backedUp: isBackedUp(app),
    })),
    services: [...SHARED_SERVICES],
  }
}
