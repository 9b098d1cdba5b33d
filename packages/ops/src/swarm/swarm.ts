import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type App,
  appSecretKey,
  appSecretVariable,
  ML_PLACEMENT_VARIABLE,
  ML_TIER_LABEL,
  STORES_LABEL,
} from '@flotilla/stack'
import { parse, stringify } from 'yaml'
import { DeployError, shortId } from '../deploy/deploy.js'
import { type Runner, runChecked } from '../run.js'

/** The registry the stack file names by default (docker-stack.yml's FLOTILLA_REGISTRY). */
export const DEFAULT_REGISTRY = '127.0.0.1:5000'
/** Overlay subnets come from here: a range no bridge of this machine or a VPS usually has. */
export const ADDRESS_POOL = '10.213.0.0/16'

export interface Swarm {
  runner: Runner
  /** The checkout: docker-stack.yml and the bind mounts' sources. */
  root: string
  /** The stack name; also the compose project whose one-shot services are run. */
  stack: string
  /** The compose command line of the same project, the ML profile active when it is deployed. */
  compose: string[]
  /** FLOTILLA_REGISTRY, FLOTILLA_TAG and the stack file's other variables. */
  env: NodeJS.ProcessEnv
  log: (line: string) => void
  timeoutMs: number
  pollMs?: number
}

export const registryOf = (env: NodeJS.ProcessEnv) => env.FLOTILLA_REGISTRY || DEFAULT_REGISTRY
const tagOf = (env: NodeJS.ProcessEnv) => env.FLOTILLA_TAG || 'local'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Times each step, so a deploy says where its minutes went. */
async function step<T>(swarm: Swarm, name: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now()
  swarm.log(`==> ${name}`)
  const result = await work()
  swarm.log(`    ${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`)
  return result
}

/** Inits a single-node swarm unless this daemon is in one; returns this node's id. */
export async function ensureSwarm(swarm: Swarm): Promise<string> {
  const { runner } = swarm
  const state = await runChecked(runner, [
    'docker',
    'info',
    '--format',
    '{{.Swarm.LocalNodeState}}',
  ])
  if (state.trim() !== 'active') {
    const address = swarm.env.FLOTILLA_SWARM_ADVERTISE_ADDR || '127.0.0.1'
    await runChecked(runner, [
      'docker',
      'swarm',
      'init',
      '--advertise-addr',
      address,
      '--default-addr-pool',
      ADDRESS_POOL,
    ])
    swarm.log(`    swarm initialised, advertised at ${address}`)
  }
  return (await runChecked(runner, ['docker', 'info', '--format', '{{.Swarm.NodeID}}'])).trim()
}

/** `node.labels.flotilla.tier==ml` once a node carries the label; else the file's default. */
async function mlPlacement(runner: Runner): Promise<string | undefined> {
  const nodes = await runChecked(runner, [
    'docker',
    'node',
    'ls',
    '-q',
    '--filter',
    `node.label=${ML_TIER_LABEL}=ml`,
  ])
  return nodes.trim() ? `node.labels.${ML_TIER_LABEL}==ml` : undefined
}

type ComposeService = {
  image: string
  user?: string
  entrypoint?: string[]
  command?: string[]
  environment?: Record<string, string | null>
  volumes?: { type: string; source: string; target: string; read_only?: boolean }[]
  read_only?: boolean
  cap_drop?: string[]
  cap_add?: string[]
  security_opt?: string[]
  network_mode?: string
  networks?: Record<string, unknown>
}

interface ComposeConfig {
  services: Record<string, ComposeService>
  volumes: Record<string, { name: string }>
  networks: Record<string, { name: string }>
}

async function composeConfig(swarm: Swarm): Promise<ComposeConfig> {
  const text = await runChecked(swarm.runner, [...swarm.compose, 'config', '--format', 'json'], {
    env: swarm.env,
  })
  return JSON.parse(text) as ComposeConfig
}

/**
 * Runs a one-shot service of docker-compose.yml with `docker run`'s equivalents on this node,
 * on the stack's volumes and attachable overlay networks (a compose project of the stack's
 * name gives them the stack's names); fails with its output when it exits non-zero.
 */
async function runOneShot(swarm: Swarm, config: ComposeConfig, name: string): Promise<void> {
  const service = config.services[name]
  if (!service) throw new Error(`docker-compose.yml has no service ${name}`)
  const [network, ...more] = Object.keys(service.networks ?? {}).map(
    (key) => config.networks[key]?.name ?? key,
  )
  const [entrypoint, ...entrypointArgs] = service.entrypoint ?? []
  const args = [
    'docker',
    'create',
    '--rm',
    ...(service.user ? ['--user', service.user] : []),
    ...(entrypoint ? ['--entrypoint', entrypoint] : []),
    ...Object.entries(service.environment ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v ?? ''}`]),
    ...(service.volumes ?? []).flatMap((v) => [
      '-v',
      `${v.type === 'volume' ? (config.volumes[v.source]?.name ?? v.source) : v.source}:${v.target}${v.read_only ? ':ro' : ''}`,
    ]),
    ...(service.read_only ? ['--read-only'] : []),
    ...(service.cap_drop ?? []).flatMap((c) => ['--cap-drop', c]),
    ...(service.cap_add ?? []).flatMap((c) => ['--cap-add', c]),
    ...(service.security_opt ?? []).flatMap((s) => ['--security-opt', s]),
    '--network',
    service.network_mode ?? network ?? 'none',
    service.image,
    ...entrypointArgs,
    ...(service.command ?? []),
  ]
  const id = (await runChecked(swarm.runner, args)).trim()
  for (const other of more)
    await runChecked(swarm.runner, ['docker', 'network', 'connect', other, id])
  const run = await swarm.runner(['docker', 'start', '--attach', id])
  if (run.code !== 0) {
    throw new DeployError(`${name} exited ${run.code}:\n${`${run.stdout}${run.stderr}`.trim()}`)
  }
}

/** Tags each local image for the registry and pushes it; returns each one's pushed digest. */
async function pushImages(swarm: Swarm, images: string[]): Promise<Map<string, string>> {
  const registry = registryOf(swarm.env)
  const digests = new Map<string, string>()
  for (const image of images) {
    const remote = `${registry}/${image}`
    await runChecked(swarm.runner, ['docker', 'tag', image, remote])
    const pushed = await runChecked(swarm.runner, ['docker', 'push', remote])
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed)?.[1]
    if (!digest) throw new Error(`docker push ${remote}: no digest in its output`)
    digests.set(remote, digest)
    swarm.log(`    pushed ${remote}@${shortId(digest)}`)
  }
  return digests
}

interface StackFile {
  services: Record<string, { image: string }>
  secrets?: Record<string, unknown>
}

/**
 * docker-stack.yml with only the services `keep` names (and their apps' secrets), interpolated
 * by `docker stack config` in the checkout (bind mounts absolute), each pushed image pinned to
 * its digest so an unchanged image leaves its service untouched. Returns the file's path.
 */
async function renderStack(
  swarm: Swarm,
  dir: string,
  keep: (service: string) => boolean,
  env: NodeJS.ProcessEnv,
  digests: Map<string, string>,
): Promise<string> {
  const file = parse(await readFile(join(swarm.root, 'docker-stack.yml'), 'utf8')) as StackFile
  for (const name of Object.keys(file.services)) if (!keep(name)) delete file.services[name]
  for (const key of Object.keys(file.secrets ?? {})) {
    if (!keep(key.replace(/_env$/, ''))) delete file.secrets?.[key]
  }
  const raw = join(dir, 'raw.yml')
  await writeFile(raw, stringify(file))
  const text = await runChecked(swarm.runner, ['docker', 'stack', 'config', '-c', '-'], {
    cwd: swarm.root,
    env,
    stdinFile: raw,
  })
  const config = parse(text) as StackFile
  for (const service of Object.values(config.services)) {
    const digest = digests.get(service.image)
    if (digest) service.image = `${service.image}@${digest}`
  }
  const out = join(dir, 'stack.yml')
  // `stack config` prints a literal `$` unescaped; `stack deploy` interpolates again.
  await writeFile(out, stringify(escapeDollars(config)))
  return out
}

function escapeDollars<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll('$', '$$$$') as T
  if (Array.isArray(value)) return value.map(escapeDollars) as T
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [key, escapeDollars(inner)]),
    ) as T
  }
  return value
}

/** Every service of the stack running all its replicas, no update under way; else why not. */
async function waitConverged(swarm: Swarm, expected: number, since: number): Promise<void> {
  const deadline = since + swarm.timeoutMs
  for (;;) {
    const rows = (
      await runChecked(swarm.runner, [
        'docker',
        'service',
        'ls',
        '--filter',
        `label=com.docker.stack.namespace=${swarm.stack}`,
        '--format',
        '{{.Name}} {{.Replicas}}',
      ])
    )
      .trim()
      .split('\n')
      .filter(Boolean)
    const pending = rows.filter((row) => {
      const [running, desired] = (row.split(' ')[1] ?? '').split('/')
      return running !== desired
    })
    const updating = []
    for (const row of rows) {
      const name = row.split(' ')[0] ?? ''
      const state = await updateState(swarm.runner, name)
      // A rollback of an update this deploy started (an older one is history).
      const ours = state.startedAt >= since - 1_000
      if (ours && (state.state.startsWith('rollback') || state.state === 'paused')) {
        throw new DeployError(`${name}: update ${state.state}: ${state.message}`)
      }
      if (state.state === 'updating') updating.push(name)
    }
    if (rows.length >= expected && pending.length === 0 && updating.length === 0) return
    if (Date.now() >= deadline) {
      const errors = await runner(swarm, [
        'docker',
        'stack',
        'ps',
        swarm.stack,
        '--no-trunc',
        '--format',
        '{{.Name}} {{.CurrentState}} {{.Error}}',
      ])
      throw new DeployError(
        `${swarm.stack}: not converged after ${swarm.timeoutMs / 1000} s: ${[...pending, ...updating].join(', ')}\n${errors}`,
      )
    }
    await sleep(swarm.pollMs ?? 2_000)
  }
}

const runner = async (swarm: Swarm, argv: string[]) => {
  const result = await swarm.runner(argv)
  return `${result.stdout}${result.stderr}`.trim()
}

async function updateState(run: Runner, service: string) {
  const text = await runChecked(run, [
    'docker',
    'service',
    'inspect',
    '--format',
    '{{json .UpdateStatus}}',
    service,
  ])
  const status = JSON.parse(text) as { State?: string; Message?: string; StartedAt?: string } | null
  return {
    state: status?.State ?? '',
    message: status?.Message ?? '',
    startedAt: Date.parse(status?.StartedAt ?? '') || 0,
  }
}

/**
 * One Swarm secret per app credential file the provisioner wrote, named by its content's
 * hash: an unchanged file keeps its secret (the service is not touched), a renewed one (a
 * Qdrant token) makes a new one, which rolls the app. Returns the stack variables naming them.
 */
async function appSecrets(
  swarm: Swarm,
  config: ComposeConfig,
  apps: readonly App[],
  dir: string,
): Promise<Record<string, string>> {
  const provision = config.services.provision
  const volume = config.volumes.app_secrets?.name
  if (!provision || !volume) throw new Error('docker-compose.yml: no provision or app_secrets')
  const variables: Record<string, string> = {}
  for (const app of apps) {
    const content = await runChecked(swarm.runner, [
      'docker',
      'run',
      '--rm',
      '--user',
      '0:0',
      '--network',
      'none',
      '--entrypoint',
      'cat',
      '-v',
      `${volume}:/secrets:ro`,
      provision.image,
      `/secrets/apps/${app.name}.env`,
    ])
    const hash = createHash('sha256').update(content).digest('hex').slice(0, 12)
    const name = `${swarm.stack}_${appSecretKey(app)}_${hash}`
    const exists = await swarm.runner(['docker', 'secret', 'inspect', name])
    if (exists.code !== 0) {
      const file = join(dir, `${app.name}.env`)
      await writeFile(file, content, { mode: 0o600 })
      await runChecked(swarm.runner, [
        'docker',
        'secret',
        'create',
        '--label',
        `flotilla.stack=${swarm.stack}`,
        name,
        file,
      ])
      swarm.log(`    secret ${name} created`)
    }
    variables[appSecretVariable(app)] = name
  }
  return variables
}

/** Removes the stack's app secrets no service uses any more (Swarm refuses the others). */
async function pruneSecrets(swarm: Swarm, current: string[]): Promise<void> {
  const names = await runChecked(swarm.runner, [
    'docker',
    'secret',
    'ls',
    '--filter',
    `label=flotilla.stack=${swarm.stack}`,
    '--format',
    '{{.Name}}',
  ])
  for (const name of names.trim().split('\n').filter(Boolean)) {
    if (!current.includes(name)) await swarm.runner(['docker', 'secret', 'rm', name])
  }
}

async function stackDeploy(swarm: Swarm, file: string): Promise<void> {
  await runChecked(swarm.runner, [
    'docker',
    'stack',
    'deploy',
    '--detach=true',
    '--resolve-image',
    'never',
    '-c',
    file,
    swarm.stack,
  ])
}

export interface StackDeployOptions {
  /** The apps to run (the ML tier's only with --ml). */
  apps: readonly App[]
  /** Build the images with `docker compose build` first (else the ones on this node). */
  build: boolean
  /** Shared services to leave out (no image of them on this machine), as the compose e2e does. */
  without: string[]
}

/**
 * The whole stack onto the swarm this node manages: this node labelled as the stores node,
 * the registry up (scripts/ci/registry.sh), the images built and pushed, `secrets` run, the
 * stores, guards and nginx deployed and healthy, `provision` run against them, each app's
 * credential file made a Swarm secret, then the apps deployed; every service waited for.
 * Re-running it changes only what changed (images are pinned by digest, secrets by hash).
 */
export async function deployStack(swarm: Swarm, options: StackDeployOptions): Promise<void> {
  const { runner: run } = swarm
  const node = await step(swarm, 'swarm', () => ensureSwarm(swarm))
  await runChecked(run, ['docker', 'node', 'update', '--label-add', `${STORES_LABEL}=true`, node])
  await step(swarm, 'registry', () =>
    runChecked(run, ['bash', join(swarm.root, 'scripts/ci/registry.sh')], { env: swarm.env }),
  )
  if (options.build) {
    await step(swarm, 'build', () =>
      runChecked(run, [...swarm.compose, 'build'], { env: swarm.env }),
    )
  }
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-swarm-'))
  try {
    const config = await composeConfig(swarm)
    for (const service of options.without) {
      delete config.services.provision?.environment?.[`${service.toUpperCase()}_ADMIN_URL`]
    }
    if (options.without.length > 0 && config.services.provision) {
      config.services.provision.environment = {
        ...config.services.provision.environment,
        PROVISION_SKIP_STORES: options.without.join(','),
      }
    }
    const appNames = new Set(options.apps.map((app) => app.name))
    const stackFile = parse(
      await readFile(join(swarm.root, 'docker-stack.yml'), 'utf8'),
    ) as StackFile
    const inStack = (name: string) =>
      !options.without.includes(name) && (appNames.has(name) || !isApp(name, stackFile))
    const tag = tagOf(swarm.env)
    const tiers = options.apps.some((app) => app.tier === 'ml') ? ['base', 'ml'] : ['base']
    const images = [
      ...tiers,
      ...Object.keys(stackFile.services).filter(
        (name) => inStack(name) && stackFile.services[name]?.image.includes('/flotilla/'),
      ),
    ].map((name) => `flotilla/${name}:${tag}`)
    const digests = await step(swarm, `push ${images.length} images`, () =>
      pushImages(swarm, images),
    )

    await step(swarm, 'one-shot: secrets', () => runOneShot(swarm, config, 'secrets'))
    const infra = (name: string) => inStack(name) && !appNames.has(name)
    const env = { ...swarm.env, FLOTILLA_REGISTRY: registryOf(swarm.env) }
    await step(swarm, 'stores, guards, nginx', async () => {
      const since = Date.now()
      await stackDeploy(swarm, await renderStack(swarm, dir, infra, env, digests))
      await waitConverged(swarm, Object.keys(stackFile.services).filter(infra).length, since)
    })
    await step(swarm, 'one-shot: provision', () => runOneShot(swarm, config, 'provision'))
    const secrets = await step(swarm, 'app secrets', () =>
      appSecrets(swarm, config, options.apps, dir),
    )
    const placement = await mlPlacement(run)
    swarm.log(`    ML apps: ${placement ?? 'any node (no node labelled flotilla.tier=ml)'}`)
    const appsEnv = {
      ...env,
      ...secrets,
      ...(placement ? { [ML_PLACEMENT_VARIABLE]: placement } : {}),
    }
    await step(swarm, `apps: ${[...appNames].join(', ')}`, async () => {
      const since = Date.now()
      await stackDeploy(swarm, await renderStack(swarm, dir, inStack, appsEnv, digests))
      await waitConverged(swarm, Object.keys(stackFile.services).filter(inStack).length, since)
    })
    await step(swarm, 'nginx routes to every app', () => waitRouted(swarm, options.apps))
    await pruneSecrets(swarm, Object.values(secrets))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * Until nginx (published on this node) reaches every app: it re-resolves each app's name every
 * few seconds, so an app that just started answers through it a little later. nginx's own 503
 * for an absent app is APP_UNAVAILABLE; anything else comes from the app.
 */
async function waitRouted(swarm: Swarm, apps: readonly App[]): Promise<void> {
  const base = `http://127.0.0.1:${swarm.env.HTTP_PORT || '80'}`
  const deadline = Date.now() + swarm.timeoutMs
  for (const app of apps) {
    for (;;) {
      const response = await fetch(`${base}${app.route}`).catch(() => undefined)
      const text = (await response?.text()) ?? ''
      if (response && !text.includes('"APP_UNAVAILABLE"')) break
      if (Date.now() >= deadline) {
        throw new DeployError(`${app.name}: nginx at ${base} does not reach it: ${text}`)
      }
      await sleep(500)
    }
  }
}

/** An app service of the stack file: it reads an app secret. */
function isApp(name: string, file: StackFile): boolean {
  return Object.keys(file.secrets ?? {}).includes(`${name}_env`)
}

export interface AppDeployResult {
  outcome: 'deployed' | 'unchanged'
  previousImage: string
  newImage: string
}

/**
 * `scripts/deploy <app>` on a swarm: builds the app (tiers first), pushes it and compares the
 * pushed digest with the one the service runs; only when they differ is the service updated —
 * a rolling, start-first update the stack file health-gates and rolls back on failure. A
 * rollback is a DeployError naming Swarm's reason.
 */
export async function deployApp(
  swarm: Swarm,
  app: App,
  build: () => Promise<void>,
): Promise<AppDeployResult> {
  const service = `${swarm.stack}_${app.name}`
  const previousImage = (
    await runChecked(swarm.runner, [
      'docker',
      'service',
      'inspect',
      '--format',
      '{{.Spec.TaskTemplate.ContainerSpec.Image}}',
      service,
    ])
  ).trim()
  swarm.log(`==> ${app.name}: service ${service} runs ${previousImage}`)
  await step(swarm, `${app.name}: build`, build)
  const digests = await pushImages(swarm, [`flotilla/${app.name}:${tagOf(swarm.env)}`])
  const [[remote, digest] = ['', '']] = [...digests]
  const newImage = `${remote}@${digest}`
  if (previousImage.endsWith(`@${digest}`)) {
    swarm.log(
      `==> ${app.name}: nothing to do — it already runs ${shortId(digest)}, the image just built`,
    )
    return { outcome: 'unchanged', previousImage, newImage }
  }
  await step(swarm, `${app.name}: rolling update to ${shortId(digest)}`, () =>
    rollingUpdate(swarm, service, newImage),
  )
  swarm.log(`==> ${app.name}: rolled ${previousImage} → ${newImage}; healthy`)
  return { outcome: 'deployed', previousImage, newImage }
}

/** Updates the service's image; waits until Swarm completes it, or has rolled it back. */
async function rollingUpdate(swarm: Swarm, service: string, image: string): Promise<void> {
  await runChecked(swarm.runner, [
    'docker',
    'service',
    'update',
    '--detach',
    '--image',
    image,
    service,
  ])
  const deadline = Date.now() + swarm.timeoutMs
  for (;;) {
    const { state, message } = await updateState(swarm.runner, service)
    if (state === 'completed') return
    const settled = ['rollback_completed', 'rollback_paused', 'paused'].includes(state)
    if (settled || Date.now() >= deadline) {
      const tasks = await runner(swarm, [
        'docker',
        'service',
        'ps',
        service,
        '--no-trunc',
        '--format',
        '{{.Name}} {{.Image}} {{.CurrentState}} {{.Error}}',
      ])
      throw new DeployError(
        `${service}: ${image} not deployed: update ${state || 'still running'}: ${message}\n--- tasks ---\n${tasks}`,
      )
    }
    await sleep(swarm.pollMs ?? 2_000)
  }
}

/** The stack's service for the app exists on the swarm this daemon is part of. */
export async function isSwarmTarget(run: Runner, stack: string, app: string): Promise<boolean> {
  return (await run(['docker', 'service', 'inspect', `${stack}_${app}`])).code === 0
}
