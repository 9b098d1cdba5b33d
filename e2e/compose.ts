import { execFile, execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { composeVersionProblem } from '@flotilla/stack'
import { parse, stringify } from 'yaml'

const exec = promisify(execFile)

let composeChecked = false

/** `docker compose`, once this machine's Compose is one that builds docker-compose.yml. */
export function composeCommand(): string[] {
  if (!composeChecked) {
    let short: string | undefined
    try {
      short = execFileSync('docker', ['compose', 'version', '--short'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      })
    } catch {
      // no `docker compose` at all: composeVersionProblem says so
    }
    const problem = composeVersionProblem(short)
    if (problem) throw new Error(problem)
    composeChecked = true
  }
  return ['docker', 'compose']
}

export function imageExists(image: string): boolean {
  try {
    execFileSync('docker', ['image', 'inspect', image], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

type Service = {
  image?: string
  depends_on?: Record<string, unknown>
  environment?: Record<string, string>
}

/** A shared service left out of the stack, and why. */
export interface RemovedService {
  service: string
  image: string
  reason: string
}

/**
 * The shared services the stack may run without, with the provisioner's admin URL for each:
 * only Qdrant, whose server cannot be had without a container registry. Every other image
 * has a stand-in (scripts/ci/docker-up.sh; Neo4j's is scripts/ci/neo4j-image).
 */
const PROVISION_URLS: Record<string, string> = {
  qdrant: 'QDRANT_ADMIN_URL',
}

/**
 * docker-compose.yml of `project` without the optional shared services whose image is not on
 * this machine: they, the dependencies on them and the provisioner's URL for them are removed,
 * so their apps start and report them degraded. `config` writes every volume's and network's
 * full name, so it is rendered as `project`: as `flotilla` (the file's `name:`), a test stack
 * would use the volumes of the stack a person runs.
 */
export function composeWithoutMissingImages(
  root: string,
  outFile: string,
  env: NodeJS.ProcessEnv,
  project: string,
): { file: string; removed: RemovedService[] } {
  const [command = 'docker', ...args] = composeCommand()
  const text = execFileSync(
    command,
    [...args, '-p', project, '-f', join(root, 'docker-compose.yml'), '--profile', 'ml', 'config'],
    { env, encoding: 'utf8' },
  )
  const config = parse(text) as { services: Record<string, Service> }
  const removed: RemovedService[] = []
  for (const [service, { image }] of Object.entries(config.services)) {
    if (service in PROVISION_URLS && image && !imageExists(image)) {
      removed.push({
        service,
        image,
        reason: `no image ${image} on this machine (no registry, no local stand-in)`,
      })
    }
  }
  for (const { service: name } of removed) {
    delete config.services[name]
    for (const service of Object.values(config.services)) {
      delete service.depends_on?.[name]
    }
    const url = PROVISION_URLS[name]
    if (url) delete config.services.provision?.environment?.[url]
  }
  const provision = config.services.provision
  if (provision && removed.length > 0) {
    provision.environment = {
      ...provision.environment,
      PROVISION_SKIP_STORES: removed.map((r) => r.service).join(','),
    }
  }
  // `config` prints variables interpolated and a literal `$` still escaped as `$$`.
  // Every string quoted: a bare `no` (restart) stays a string for every YAML reader.
  writeFileSync(
    outFile,
    stringify(config, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' }),
  )
  return { file: outFile, removed }
}

export async function run(
  command: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<string> {
  const [file, ...args] = command
  if (!file) throw new Error('empty command')
  try {
    const { stdout } = await exec(file, args, {
      env: options.env,
      cwd: options.cwd,
      timeout: options.timeoutMs ?? 600_000,
      maxBuffer: 64 * 1024 * 1024,
    })
    return stdout
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string }
    throw new Error(`${command.join(' ')} failed:\n${stderr ?? ''}\n${stdout ?? ''}`.slice(-6000))
  }
}

/** The folder of MODELS' `dir:` source (one at most; packages/ml's MODELS syntax), if any. */
export function modelsDir(models: string | undefined): string | undefined {
  const folders = new Set(
    (models ?? '')
      .split(',')
      .map((source) => /^(?:[a-z]+=)?dir:(.+)$/.exec(source)?.[1])
      .filter((folder) => folder !== undefined),
  )
  if (folders.size > 1) throw new Error(`MODELS: one dir: folder at most: ${models}`)
  return [...folders][0]
}

/** Every flotilla/* image on this machine, as repository:tag. */
export async function flotillaImages(): Promise<string[]> {
  const listed = await run(['docker', 'image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'])
  return listed.split('\n').filter((image) => image.startsWith('flotilla/'))
}

/** Untags the images (their layers go once no tag or container holds them; the build cache stays). */
export async function removeImages(images: string[]): Promise<void> {
  if (images.length > 0) await run(['docker', 'image', 'rm', '--force', ...images])
}

/** A port free on loopback now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      )
    })
  })
}

/** `timed(label, step)` runs a step and prints its seconds; `timings` keeps them for a summary. */
export function stepTimer() {
  const timings: Record<string, number> = {}
  async function timed<T>(label: string, step: () => Promise<T>): Promise<T> {
    const started = performance.now()
    try {
      return await step()
    } finally {
      timings[label] = Math.round((performance.now() - started) / 100) / 10
      console.log(`# ${label}: ${timings[label]}s`)
    }
  }
  return { timings, timed }
}
