import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { LOOPBACK } from './free-port.js'
import { startWatchdog } from './watchdog.js'

const run = promisify(execFile)

async function docker(args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await run('docker', args, { env: { ...process.env, ...env } })
    return stdout.trim()
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim()
    throw new Error(`docker ${args[0]} failed: ${stderr || (error as Error).message}`)
  }
}

/** True when a Docker client exists and its daemon answers. */
export async function isDockerAvailable(): Promise<boolean> {
  try {
    await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 10_000 })
    return true
  } catch {
    return false
  }
}

export interface ContainerSpec {
  image: string
  /** Short word for the container name, e.g. "postgres". */
  role: string
  containerPort: number
  /** Passed by name only (`-e NAME`), so secrets never appear on the docker command line. */
  env?: Record<string, string>
  command?: string[]
}

export interface Container {
  name: string
  host: string
  port: number
  remove(): Promise<void>
}

/** Runs a container published on a random loopback port; removed on remove() or our death. */
export async function runContainer(spec: ContainerSpec): Promise<Container> {
  const name = `flotilla-testkit-${spec.role}-${randomBytes(4).toString('hex')}`
  const env = spec.env ?? {}
  const watchdog = startWatchdog('docker rm -f "$1" >/dev/null 2>&1', [name])
  const remove = async () => {
    watchdog.disarm()
    await docker(['rm', '-f', name]).catch(() => {})
  }
  try {
    await docker(
      [
        ...['run', '--detach', '--rm', '--name', name, '--label', 'flotilla.testkit=true'],
        ...['--publish', `${LOOPBACK}::${spec.containerPort}`],
        ...Object.keys(env).flatMap((key) => ['--env', key]),
        spec.image,
        ...(spec.command ?? []),
      ],
      env,
    )
    const published = await docker(['port', name, `${spec.containerPort}/tcp`])
    const port = Number(published.split('\n')[0]?.split(':').pop())
    if (!Number.isInteger(port) || port <= 0) {
      throw new Error(`could not read the published port of ${name} from "${published}"`)
    }
    return { name, host: LOOPBACK, port, remove }
  } catch (error) {
    await remove()
    throw error
  }
}
