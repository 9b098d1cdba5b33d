import type { App } from '../app.js'

/**
 * Each app container runs as its own uid, so a file the provisioner writes for one app
 * (mode 0400, owned by that uid) is unreadable to every other app on the same volume.
 * Derived from the port, which the registry keeps unique and which rarely changes.
 */
export const APP_UID_BASE = 10_000

export function appUid(app: Pick<App, 'port'>): number {
  return APP_UID_BASE + app.port
}
