import { isBackedUp, parseMemory, type Registry } from '@flotilla/stack'
import { type Fleet, SHARED_SERVICES } from '../src/fleet.js'

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
