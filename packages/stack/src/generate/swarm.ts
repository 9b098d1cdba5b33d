import type { App, Registry } from '../app.js'
import { parseMemory } from '../quantities.js'
import { APP_SECRETS_DIR, appVariable } from './compose.js'
import { appUid } from './uid.js'

/** Where docker-stack.yml pulls flotilla's own images from: a registry every node reaches. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: stack interpolation, not JavaScript
export const SWARM_REGISTRY = '${FLOTILLA_REGISTRY:-127.0.0.1:5000}'

/** The node label of the node that holds the stores' volumes (set by the swarm deploy). */
export const STORES_LABEL = 'flotilla.stores'
/** The node label that draws the ML tier to a node, when some node carries it. */
export const ML_TIER_LABEL = 'flotilla.tier'

/**
 * The stack variable holding an ML app's placement: the deploy step sets it to
 * `node.labels.flotilla.tier==ml` when some node has that label (Swarm constraints are hard).
 * Its default matches every Linux node.
 */
export const ML_PLACEMENT_VARIABLE = 'FLOTILLA_ML_PLACEMENT'

/** The stack variable naming the Swarm secret that holds an app's credential file. */
export const appSecretVariable = (app: Pick<App, 'name'>) =>
  `FLOTILLA_SECRET_${appVariable(app, 'ENV')}`

/** The key of an app's credential secret in docker-stack.yml. */
export const appSecretKey = (app: Pick<App, 'name'>) => `${app.name}_env`

type Service = Record<string, unknown> & {
  image?: string
  scale?: number
  restart?: string
  volumes?: string[]
  tmpfs?: string[]
  ports?: string[]
  networks?: string[]
  mem_limit?: string
  cpus?: string
  pids_limit?: number
  shm_size?: string
}

type Network = { driver?: string; internal?: boolean }

interface Compose {
  services: Record<string, Service>
  networks: Record<string, Network>
  volumes: Record<string, unknown>
}

/** Keys Swarm runs as they are in the compose file. */
const KEPT = [
  'entrypoint',
  'command',
  'user',
  'environment',
  'read_only',
  'cap_drop',
  'cap_add',
  'init',
  'healthcheck',
  'logging',
  'networks',
] as const

/**
 * docker-stack.yml: docker-compose.yml (its text, generated blocks filled in) for
 * `docker stack deploy`. The tiers (built, never run) and the one-shots (`restart: "no"`; the
 * swarm deploy runs them itself) are left out. Apps read their credential file from a Swarm
 * secret, as an app on another node cannot see the app_secrets volume; every service that
 * mounts a volume or publishes a port is pinned to the stores node; ML apps go where
 * FLOTILLA_ML_PLACEMENT says, every other service anywhere but an ML node. Every service is
 * `endpoint_mode: dnsrr` (nginx resolves each app's name itself; no IPVS needed), nginx's port
 * is published on its node (`mode: host`).
 */
export async function swarmStack(
  registry: Pick<Registry, 'apps'>,
  composeText: string,
  nginxConf: string,
): Promise<string> {
  const drainMs = appDrainMs(nginxConf)
  // Loaded here: yaml is a dev dependency (generating is a checkout's job, never an app's).
  const { parse, stringify } = await import('yaml')
  const compose = parse(composeText, { merge: true }) as Compose
  const apps = new Map(registry.apps.map((app) => [app.name, app]))
  const services: Record<string, unknown> = {}
  const oneShotNetworks = new Set<string>()
  const usedVolumes = new Set<string>()
  for (const [name, service] of Object.entries(compose.services)) {
    if (service.scale === 0) continue
    if (service.restart === 'no') {
      for (const network of service.networks ?? []) oneShotNetworks.add(network)
      continue
    }
    const app = apps.get(name)
    const converted = swarmService(service, app, drainMs)
    for (const volume of (converted.volumes as (string | object)[] | undefined) ?? []) {
      if (typeof volume === 'string') usedVolumes.add(volume.split(':')[0] ?? '')
    }
    services[name] = converted
  }
  const networks = Object.fromEntries(
    Object.entries(compose.networks).map(([name, network]) => [
      name,
      {
        driver: 'overlay',
        ...(network.internal ? { internal: true } : {}),
        ...(oneShotNetworks.has(name) ? { attachable: true } : {}),
      },
    ]),
  )
  const volumes = Object.fromEntries(
    Object.entries(compose.volumes)
      .filter(([name]) => usedVolumes.has(name))
      .map(([name, volume]) => [name, volume ?? {}]),
  )
  const secrets = Object.fromEntries(
    registry.apps.map((app) => [
      appSecretKey(app),
      {
        external: true,
        name: `\${${appSecretVariable(app)}:?the swarm deploy sets it}`,
      },
    ]),
  )
  const header = [
    '# flotilla on Docker Swarm: generated from docker-compose.yml and the app registry by',
    '# `npm run generate` (do not edit; `npm run check` fails when it is stale).',
    '#',
    '#   scripts/swarm-deploy [--ml]   labels this node, starts the registry, builds and pushes',
    '#                                 the images, runs the one-shots, creates the app secrets,',
    '#                                 deploys this file and waits until every service is healthy',
    '#',
    '# Swarm has no security_opt, shm_size, profiles or depends_on: no-new-privileges is not set',
    '# here; /dev/shm is a tmpfs mount; the ML tier is the --ml flag; the deploy orders the start.',
    '# Secret modes are decimal (256 = 0400).',
  ].join('\n')
  return `${header}\n${stringify(
    { services, networks, volumes, secrets },
    { lineWidth: 0, defaultKeyType: 'PLAIN', aliasDuplicateObjects: false },
  )}`
}

/**
 * How long a replaced app keeps serving after SIGTERM (the service kit's SHUTDOWN_DRAIN_MS):
 * Swarm drops a task from DNS as it stops it, and nginx keeps a name's addresses for its
 * resolver's `valid=` time, so the app outlasts that by a second and nginx never meets a
 * stopped address.
 */
function appDrainMs(nginxConf: string): number {
  const valid = /^\s*resolver\s[^;]*\bvalid=(\d+)s\b/m.exec(nginxConf)?.[1]
  if (!valid) throw new Error('nginx/nginx.conf: no `resolver … valid=<n>s`')
  return (Number(valid) + 1) * 1000
}

/** The service kit's default bound on a shutdown after the drain (SHUTDOWN_TIMEOUT_MS). */
const SHUTDOWN_TIMEOUT_S = 10

function swarmService(
  service: Service,
  app: App | undefined,
  drainMs: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (service.image) {
    out.image = service.image.startsWith('flotilla/')
      ? `${SWARM_REGISTRY}/${service.image}`
      : service.image
  }
  for (const key of KEPT) if (service[key] !== undefined) out[key] = service[key]

  // The app_secrets volume becomes the app's own secret (below).
  const volumes: (string | object)[] = (service.volumes ?? []).filter(
    (volume) => !(app && volume.startsWith('app_secrets:')),
  )
  const mountsState = volumes.length > 0
  for (const target of service.tmpfs ?? []) volumes.push({ type: 'tmpfs', target })
  if (service.shm_size) {
    volumes.push({
      type: 'tmpfs',
      target: '/dev/shm',
      tmpfs: { size: parseMemory(service.shm_size.toUpperCase()) },
    })
  }
  if (volumes.length > 0) out.volumes = volumes
  if (service.ports) out.ports = service.ports.map(hostPort)
  if (app) {
    out.environment = { ...(service.environment as object), SHUTDOWN_DRAIN_MS: String(drainMs) }
    // Docker's kill comes after the drain and the kit's own bound on closing.
    out.stop_grace_period = `${drainMs / 1000 + SHUTDOWN_TIMEOUT_S}s`
    const uid = String(appUid(app))
    out.secrets = [
      {
        source: appSecretKey(app),
        target: `${APP_SECRETS_DIR}/apps/${app.name}.env`,
        uid,
        gid: uid,
        mode: 0o400,
      },
    ]
  }

  // Everything else stays off the ML nodes (`!=` also matches a node without the label), so an
  // ML node pulls and runs the ML tier only.
  const constraints =
    mountsState || service.ports
      ? [`node.labels.${STORES_LABEL}==true`]
      : app?.tier === 'ml'
        ? [`\${${ML_PLACEMENT_VARIABLE}:-node.platform.os==linux}`]
        : [`node.labels.${ML_TIER_LABEL}!=ml`]
  // A service holding a volume or a host port never runs twice at once; an app does, so its
  // update starts the new task and stops the old one once the new one is healthy.
  const order = app ? 'start-first' : 'stop-first'
  const update = { parallelism: 1, order, failure_action: 'rollback', monitor: '10s' }
  out.deploy = {
    endpoint_mode: 'dnsrr',
    resources: {
      limits: {
        ...(service.cpus ? { cpus: service.cpus } : {}),
        ...(service.mem_limit ? { memory: service.mem_limit } : {}),
        ...(service.pids_limit ? { pids: service.pids_limit } : {}),
      },
    },
    placement: { constraints },
    update_config: update,
    rollback_config: { parallelism: 1, order },
  }
  return out
}

/** `HOST:PUBLISHED:TARGET` → published on the node that runs the task (no routing mesh). */
function hostPort(spec: string) {
  const match = /^(?:.*:)?(\$\{[^}]+\}|\d+):(\d+)$/.exec(spec)
  if (!match) throw new Error(`docker-compose.yml: a port Swarm cannot publish: ${spec}`)
  return { target: Number(match[2]), published: match[1], mode: 'host' }
}
