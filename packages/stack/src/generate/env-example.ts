import type { Registry } from '../app.js'
import { appVariable } from './compose.js'

/** The per-app variables of .env.example, for the `apps` block. */
export function envExampleApps(registry: Pick<Registry, 'apps'>): string {
  return registry.apps
    .map((app) =>
      [
        `# ${app.name} (${app.manifestFile}): log level, one of fatal error warn info debug trace silent`,
        `# ${appVariable(app, 'LOG_LEVEL')}=info`,
        ...Object.entries(app.env).flatMap(([key, about]) => [
          `# ${app.name}: ${about}`,
          `# ${appVariable(app, key)}=`,
        ]),
      ].join('\n'),
    )
    .join('\n')
    .concat('\n')
}
