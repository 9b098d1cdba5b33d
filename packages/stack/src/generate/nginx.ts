import type { App, Registry } from '../app.js'
import { bodyLimitBytes, TIER_LIMITS } from './tier-defaults.js'

/** Every app's internal endpoints, served at its root: never reachable from outside. */
export const INTERNAL_PATHS = ['/healthz', '/readyz', '/metrics', '/docs/json', '/docs/yaml']

/**
 * Idle connections nginx keeps to an app, and for how long. The apps (Fastify) close an idle
 * connection after 72 s: nginx must let go first, or it may reuse a connection the app is
 * closing at that moment and answer 502 for a request the app never saw.
 */
export const UPSTREAM_KEEPALIVE = { connections: 32, timeout: '30s' }

const HEADER = '# Generated from the app registry by `npm run generate`; do not edit by hand.'

/** http-level: one request-rate zone per app, so one busy app cannot starve the others. */
export function nginxLimits(registry: Pick<Registry, 'apps'>): string {
  const zones = registry.apps.map((app) => {
    const { rate } = TIER_LIMITS[app.tier]
    return `limit_req_zone $binary_remote_addr zone=${nginxName(app)}:1m rate=${rate};`
  })
  return [HEADER, '', ...zones, ''].join('\n')
}

/**
 * http-level: an upstream group per app that nginx resolves through Docker's DNS while it
 * runs (`resolve`, nginx >= 1.27.3; the `resolver` is in nginx.conf), so nginx starts and
 * stays up while an app, or a whole profile, is absent — its group is empty and that app
 * alone answers the JSON 503 — and keeps idle connections to each app for the next request.
 */
export function nginxUpstreams(registry: Pick<Registry, 'apps'>): string {
  return [HEADER, '', registry.apps.map(appUpstream).join('\n\n'), ''].join('\n')
}

/**
 * server-level: a location per app. Without a URI in proxy_pass, the path reaches the app
 * unchanged.
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

function appUpstream(app: App): string {
  return [
    `# ${app.name}, from ${app.manifestFile}`,
    `upstream ${nginxName(app)} {`,
    // The group's servers live in shared memory: re-resolved every `valid=` of the resolver.
    `    zone upstream_${app.name} 64k;`,
    // One name per app: counting failures would only keep a restarted app marked down.
    `    server ${app.name}:${app.port} resolve max_fails=0;`,
    `    keepalive ${UPSTREAM_KEEPALIVE.connections};`,
    `    keepalive_timeout ${UPSTREAM_KEEPALIVE.timeout};`,
    '}',
  ].join('\n')
}

function appLocation(app: App): string {
  const { burst } = TIER_LIMITS[app.tier]
  const match = app.route === '/' ? '/' : `^~ ${app.route}`
  return [
    `# ${app.name} (${app.tier} tier${app.profile ? `, profile ${app.profile}` : ''}), from ${app.manifestFile}`,
    `location ${match} {`,
    `    set $flotilla_app ${app.name};`,
    `    limit_req zone=${nginxName(app)} burst=${burst} nodelay;`,
    `    client_max_body_size ${bodyLimitBytes(app)};`,
    `    proxy_pass http://${nginxName(app)};`,
    '    include flotilla/snippets/proxy.conf;',
    '}',
  ].join('\n')
}

/** The app's name in nginx: its rate-limit zone and its upstream group. */
function nginxName(app: App): string {
  return `app_${app.name}`
}
