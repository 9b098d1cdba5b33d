import { type Runner, runChecked } from '../run.js'

export interface DeployOptions {
  runner: Runner
  compose: string[]
  app: string
  /** The image compose tags for the service, e.g. flotilla/notes:local. */
  image: string
  /** How long the new container gets to become healthy. */
  timeoutMs?: number
  pollMs?: number
  log?: (line: string) => void
  sleep?: (ms: number) => Promise<void>
}

export interface DeployResult {
  outcome: 'deployed' | 'unchanged' | 'rolled-back'
  previousImage: string | null
  newImage: string
  /** Bytes of the new image's top layer (docker history). */
  topLayerBytes: number | null
}

const inspectImage = async (runner: Runner, image: string) => {
  const result = await runner(['docker', 'image', 'inspect', '--format', '{{.Id}}', image])
  return result.code === 0 ? result.stdout.trim() : null
}

async function containerOf(options: DeployOptions): Promise<string> {
  const id = (
    await runChecked(options.runner, [...options.compose, 'ps', '-q', options.app])
  ).trim()
  if (!id) throw new Error(`${options.app}: no container after up`)
  return id
}

/** Waits for the container's healthcheck: true once healthy, false when unhealthy, exited or out of time. */
async function waitHealthy(options: DeployOptions, container: string): Promise<boolean> {
  const {
    runner,
    timeoutMs = 120_000,
    pollMs = 2_000,
    sleep = (ms) => new Promise((r) => setTimeout(r, ms)),
  } = options
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const status = (
      await runChecked(runner, [
        'docker',
        'inspect',
        '--format',
        '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}',
        container,
      ])
    ).trim()
    options.log?.(`    ${options.app}: ${status}`)
    const [state, health] = status.split(' ')
    if (state === 'running' && (health === 'healthy' || health === 'none')) return true
    if (state !== 'running' || health === 'unhealthy') return false
    if (Date.now() >= deadline) return false
    await sleep(pollMs)
  }
}

async function topLayerBytes(runner: Runner, image: string): Promise<number | null> {
  const result = await runner([
    'docker',
    'history',
    '--no-trunc',
    '--human=false',
    '--format',
    '{{.Size}}',
    image,
  ])
  const first = result.stdout.split('\n').find(Boolean)
  return result.code === 0 && first !== undefined ? Number(first) : null
}

/**
 * Builds and replaces ONE service: `up -d --no-deps` touches no other container. When the
 * new container is not healthy in time, the previous image gets the tag back and the
 * service is recreated from it.
 */
export async function deploy(options: DeployOptions): Promise<DeployResult> {
  const { runner, compose, app, image, log = () => {} } = options
  const previousImage = await inspectImage(runner, image)
  const rollbackTag = `${image.split(':')[0]}:rollback`
  if (previousImage) await runChecked(runner, ['docker', 'tag', previousImage, rollbackTag])
  log(`==> ${app}: current image ${previousImage ?? '(none)'}`)

  log(`==> ${app}: building`)
  await runChecked(runner, [...compose, 'build', app])
  const newImage = await inspectImage(runner, image)
  if (!newImage) throw new Error(`${app}: build produced no image ${image}`)
  const bytes = await topLayerBytes(runner, image)
  if (newImage === previousImage) {
    log(`==> ${app}: image unchanged (${newImage}); nothing to replace`)
    return { outcome: 'unchanged', previousImage, newImage, topLayerBytes: bytes }
  }
  log(`==> ${app}: new image ${newImage}, top layer ${bytes ?? '?'} bytes`)

  await runChecked(runner, [...compose, 'up', '-d', '--no-deps', app])
  if (await waitHealthy(options, await containerOf(options))) {
    log(`==> ${app}: healthy on ${newImage} (was ${previousImage ?? 'none'})`)
    return { outcome: 'deployed', previousImage, newImage, topLayerBytes: bytes }
  }
  if (!previousImage)
    throw new Error(`${app}: new image is not healthy and there is no previous image`)
  log(`==> ${app}: not healthy; rolling back to ${previousImage}`)
  await runChecked(runner, ['docker', 'tag', previousImage, image])
  await runChecked(runner, [...compose, 'up', '-d', '--no-deps', app])
  const healthyAgain = await waitHealthy(options, await containerOf(options))
  log(
    `==> ${app}: rolled back to ${previousImage}${healthyAgain ? ' (healthy)' : ' (STILL NOT HEALTHY)'}`,
  )
  return { outcome: 'rolled-back', previousImage, newImage, topLayerBytes: bytes }
}
