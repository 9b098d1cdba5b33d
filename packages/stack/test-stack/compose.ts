import { execFile, execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { parse, stringify } from 'yaml'

const exec = promisify(execFile)

/** Compose v2 when the plugin exists, else docker-compose v1.29 (Debian's). */
export function composeCommand(): string[] {
  try {
    execFileSync('docker', ['compose', 'version'], { stdio: 'ignore' })
    return ['docker', 'compose']
  } catch {
    return ['docker-compose']
  }
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
 * docker-compose.yml without the optional shared services whose image is not on this
 * machine: they, the dependencies on them and the provisioner's URL for them are removed,
 * so their apps start and report them degraded.
 */
export function composeWithoutMissingImages(
  root: string,
  outFile: string,
  env: NodeJS.ProcessEnv,
): { file: string; removed: RemovedService[] } {
  const text = execFileSync(
    composeCommand()[0] ?? 'docker-compose',
    [
      ...composeCommand().slice(1),
      '-f',
      join(root, 'docker-compose.yml'),
      '--profile',
      'ml',
      'config',
    ],
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
  // Every string quoted: PyYAML (docker-compose v1) reads a bare `no` as false.
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
