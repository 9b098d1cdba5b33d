import type { App, Registry } from '../app.js'
import { TIER_LIMITS } from './tier-defaults.js'

/** Every app's internal endpoints, served at its root: never reachable from outside. */
export const INTERNAL_PATHS = ['/healthz', '/readyz', '/metrics', '/docs/json', '/docs/yaml']

const HEADER = '# Generated from the app registry by `npm run generate`; do not edit by hand.'

/** http-level: one request-rate zone per app, so one busy app cannot starve the others. */
export function nginxLimits(registry: Pick<Registry, 'apps'>): string {
  const zones = registry.apps.map((app) => {
    const { rate } = TIER_LIMITS[app.tier]
    return `limit_req_zone $binary_remote_addr zone=${zoneName(app)}:1m rate=${rate};`
  })
  return [HEADER, '', ...zones, ''].join('\n')
}

/**
 * server-level: a location per app. The upstream sits in a variable, so nginx resolves it
 * per request through Docker's DNS: nginx starts and stays up while an app (or a whole
 * profile) is absent, and that app alone answers the JSON 503 of @app_unavailable.
 * Without a URI in proxy_pass, the path reaches the app unchanged.
 */
export function nginxRoutes(registry: Pick<Registry, 'apps'>): string {
  const blocks = [
    [
      '# Internal endpoints sit at each app root; exact matches beat every prefix below.',
      ...INTERNAL_PATHS.map((path) => `location = ${path} { return 404; }`),
    ].join('\n'),
    ...registry.apps.map(appLocation),
  ]
  if (!registry.apps.some((app) => app.route === '/')) {
    blocks.push(
      [
        '# No app claims "/": the front page is not installed.',
        'location / {',
        '    set $flotilla_app front-page;',
        '    return 503;',
        '}',
      ].join('\n'),
    )
  }
  return [HEADER, '', blocks.join('\n\n'), ''].join('\n')
}

function appLocation(app: App): string {
  const { burst, bodySize } = TIER_LIMITS[app.tier]
  const match = app.route === '/' ? '/' : `^~ ${app.route}`
  return [
    `# ${app.name} (${app.tier} tier${app.profile ? `, profile ${app.profile}` : ''}), from ${app.manifestFile}`,
    `location ${match} {`,
    `    set $flotilla_app ${app.name};`,
    `    set $flotilla_upstream ${app.name}:${app.port};`,
    `    limit_req zone=${zoneName(app)} burst=${burst} nodelay;`,
    `    client_max_body_size ${bodySize};`,
    '    include flotilla/snippets/proxy.conf;',
    '}',
  ].join('\n')
}

function zoneName(app: App): string {
  return `app_${app.name}`
}
