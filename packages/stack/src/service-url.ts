import type { App } from './app.js'

/** Where the stack's other apps reach the app: its compose service is its name. */
export function serviceUrlOf(app: Pick<App, 'name' | 'port'>): string {
  return `http://${app.name}:${app.port}`
}
