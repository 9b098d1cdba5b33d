import { type Runner, runChecked } from '../run.js'

export interface DeployOptions {
  runner: Runner
  /** The compose command line of the target stack, the app's profile active. */
  compose: string[]
  app: string
  /** Builds the app's image from the checkout, and the tier images it is built on first. */
  build: () => Promise<void>
  /** How long the new container gets to become healthy. */
  timeoutMs?: number
  pollMs?: number
  log?: (line: string) => void
  sleep?: (ms: number) => Promise<void>
}

export interface DeployResult {
  outcome: 'deployed' | 'unchanged' | 'rolled-back'
  /** The image the app's container ran before (null: there was no container). */
  previousImage: string | null
  /** The image built from the checkout now. */
  newImage: string
  /** Images of the project's repository left untagged and unused by the replacement, removed. */
  removedImages: string[]
}

/** Not healthy after a replacement: why, with the container's last log lines. */
export class DeployError extends Error {}

export const shortId = (id: string | null) => (id ? id.replace(/^sha256:/, '').slice(0, 12) : '-')

/** The image compose runs the service from, e.g. flotilla/notes:local (`config`, interpolated). */
async function serviceImage(options: DeployOptions): Promise<string> {
  const config = await runChecked(options.runner, [...options.compose, 'config'])
  const { parse } = await import('yaml')
  const services = (parse(config) as { services?: Record<string, { image?: string }> }).services
  const image = services?.[options.app]?.image
  if (!image) throw new Error(`${options.app}: no image: for the service in the compose file`)
  return image
}

async function imageId(runner: Runner, image: string): Promise<string | null> {
  const result = await runner(['docker', 'image', 'inspect', '--format', '{{.Id}}', image])
  return result.code === 0 ? result.stdout.trim() : null
}

async function container(options: DeployOptions): Promise<string | null> {
  const ps = await runChecked(options.runner, [...options.compose, 'ps', '-q', options.app])
  return ps.trim().split('\n').filter(Boolean)[0] ?? null
}

/** The image id the container runs: compose compares it with nothing, so deploy does. */
const runningImage = async (runner: Runner, id: string) =>
  (await runChecked(runner, ['docker', 'inspect', '--format', '{{.Image}}', id])).trim()

/** Every image id carrying a tag of the repository namespace (flotilla/*) now. */
async function namespaceImages(runner: Runner, image: string): Promise<Set<string>> {
  const namespace = image.includes('/') ? image.split('/')[0] : undefined
  if (!namespace) return new Set()
  const ids = await runChecked(runner, [
    'docker',
    'images',
    '--no-trunc',
    '--format',
    '{{.ID}}',
    `${namespace}/*`,
  ])
  return new Set(ids.split('\n').filter(Boolean))
}

interface ContainerState {
  Status: string
  ExitCode: number
  Health?: { Status: string; Log?: { Output: string }[] }
}

interface Health {
  healthy: boolean
  /** Why not, when it is not: the state, the health status and the last check's output. */
  reason: string
}

/** Waits for the container's healthcheck (or running, when it has none) until the deadline. */
async function waitHealthy(options: DeployOptions, id: string): Promise<Health> {
  const {
    runner,
    timeoutMs = 120_000,
    pollMs = 2_000,
    sleep = (ms) => new Promise((r) => setTimeout(r, ms)),
  } = options
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const state = JSON.parse(
      await runChecked(runner, ['docker', 'inspect', '--format', '{{json .State}}', id]),
    ) as ContainerState
    const health = state.Health?.Status ?? 'none'
    options.log?.(`    ${options.app}: ${state.Status} ${health}`)
    if (state.Status === 'running' && (health === 'healthy' || health === 'none'))
      return { healthy: true, reason: '' }
    const output = state.Health?.Log?.at(-1)?.Output.trim()
    const last = output ? `: ${output.slice(0, 200)}` : ''
    if (state.Status !== 'running')
      return { healthy: false, reason: `container ${state.Status}, exit ${state.ExitCode}` }
    if (health === 'unhealthy') return { healthy: false, reason: `healthcheck unhealthy${last}` }
    if (Date.now() >= deadline)
      return {
        healthy: false,
        reason: `still ${health} after ${Math.round(timeoutMs / 1000)} s${last}`,
      }
    await sleep(pollMs)
  }
}

async function lastLogLines(runner: Runner, id: string): Promise<string> {
  const logs = await runner(['docker', 'logs', '--tail', '20', id])
  return `${logs.stdout}${logs.stderr}`.trim()
}

/** Recreates the app's container from the image its tag names now, touching no other. */
async function replace(options: DeployOptions): Promise<string> {
  await runChecked(options.runner, [
    ...options.compose,
    'up',
    '-d',
    '--no-deps',
    '--no-build',
    '--force-recreate',
    options.app,
  ])
  const id = await container(options)
  if (!id) throw new Error(`${options.app}: no container after up`)
  return id
}

/**
 * Builds the app from the checkout (tiers first) and compares the image id the RUNNING
 * container has with the one just built: only when they differ is the container replaced
 * (`up --no-deps --force-recreate`, no other container touched) and waited for. Not healthy in
 * time: the previous image gets the tag back, the container is recreated from it, and deploy
 * fails with the reason and the new container's last log lines. After a replacement, images of
 * the namespace that the build left untagged and no container uses are removed.
 */
export async function deploy(options: DeployOptions): Promise<DeployResult> {
  const { runner, app, log = () => {} } = options
  const image = await serviceImage(options)
  const before = await container(options)
  const previousImage = before ? await runningImage(runner, before) : null
  log(
    before
      ? `==> ${app}: container ${before.slice(0, 12)} runs image ${shortId(previousImage)}`
      : `==> ${app}: no container yet`,
  )
  const tagged = await namespaceImages(runner, image)
  log(`==> ${app}: building ${image} from the checkout (tiers first)`)
  await options.build()
  const newImage = await imageId(runner, image)
  if (!newImage) throw new Error(`${app}: the build produced no image ${image}`)

  if (newImage === previousImage) {
    log(`==> ${app}: nothing to do — it already runs ${shortId(newImage)}, the image just built`)
    return { outcome: 'unchanged', previousImage, newImage, removedImages: [] }
  }
  log(`==> ${app}: replacing ${shortId(previousImage)} → ${shortId(newImage)}`)
  const id = await replace(options)
  const health = await waitHealthy(options, id)
  if (health.healthy) {
    log(`==> ${app}: replaced ${shortId(previousImage)} → ${shortId(newImage)}; healthy`)
    const removedImages = await removeLeftovers(
      runner,
      new Set([...tagged, ...(previousImage ? [previousImage] : [])]),
      log,
    )
    return { outcome: 'deployed', previousImage, newImage, removedImages }
  }

  const logs = await lastLogLines(runner, id)
  const failure = `${app}: ${shortId(newImage)} is not healthy (${health.reason})\n--- last log lines of ${id.slice(0, 12)} ---\n${logs}`
  if (!previousImage) throw new DeployError(failure)
  log(`==> ${app}: not healthy (${health.reason}); rolling back to ${shortId(previousImage)}`)
  await runChecked(runner, ['docker', 'tag', previousImage, image])
  const back = await waitHealthy(options, await replace(options))
  throw new DeployError(
    `${failure}\n--- rolled back to ${shortId(previousImage)}: ${back.healthy ? 'healthy' : `NOT HEALTHY (${back.reason})`}`,
  )
}

/** Removes the candidates that now carry no tag; one a container still uses stays (rm refuses). */
async function removeLeftovers(
  runner: Runner,
  candidates: Set<string>,
  log: (line: string) => void,
): Promise<string[]> {
  const removed: string[] = []
  for (const id of candidates) {
    const tags = await runner(['docker', 'image', 'inspect', '--format', '{{len .RepoTags}}', id])
    if (tags.code !== 0 || tags.stdout.trim() !== '0') continue
    const rm = await runner(['docker', 'image', 'rm', id])
    if (rm.code === 0) removed.push(id)
    else log(`    kept ${shortId(id)}: ${rm.stderr.trim().split('\n')[0]}`)
  }
  if (removed.length > 0)
    log(`==> removed ${removed.length} superseded image(s): ${removed.map(shortId).join(' ')}`)
  return removed
}
