import { spawn } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseEnv } from 'node:util'
import { appEnvPath } from '@flotilla/provision'
import { type App, appVariable, TIER_LIMITS } from '@flotilla/stack'
import { startWatchdog } from '@flotilla/testkit'

const STOP_TIMEOUT_MS = 10_000

/** After our death, even by SIGKILL: the app's whole process group ($1) goes too. */
const STOP_GROUP = 'kill -TERM -"$1" 2>/dev/null; sleep 5; kill -KILL -"$1" 2>/dev/null'

/**
 * Where an ML app's model is: packages/ml/models/<its manifest's model> (the image gets
 * /opt/models/<model> from the same packages/ml build).
 */
export function modelDirOf(root: string, app: App): string | undefined {
  return app.model === null ? undefined : join(root, 'packages', 'ml', 'models', app.model)
}

export interface AppProcess {
  app: App
  url: string
  log: string
  /** The process group: `npm run dev`, its shell, node --watch and the app. */
  pid: number
  stop(): Promise<void>
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0)
    return true
  } catch {
    return false
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    // already gone
  }
}

/**
 * Runs the app's own `dev` script (node --watch: it restarts on every change to a file it
 * loaded) with the environment its container gets: its credential file, HOST/PORT, its tier's
 * body limit, its operator settings, and every other app's address as `<APP>_URL`.
 */
export function startApp(options: {
  root: string
  app: App
  port: number
  secretsDir: string
  logDir: string
  peers: Record<string, string>
  modelDir?: string | undefined
  env: NodeJS.ProcessEnv
}): AppProcess {
  const { app, port } = options
  const credentials = appEnvPath(options.secretsDir, app.name)
  const passedThrough = Object.fromEntries(
    Object.keys(app.env).flatMap((key) => {
      const value = options.env[appVariable(app, key)]
      return value ? [[key, value]] : []
    }),
  )
  const env: NodeJS.ProcessEnv = {
    ...options.env,
    ...(existsSync(credentials) ? parseEnv(readFileSync(credentials, 'utf8')) : {}),
    // Over the credentials' addresses of the stack's network (EMBEDDER_URL): here every app
    // listens on this machine.
    ...options.peers,
    ...passedThrough,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: options.env[appVariable(app, 'LOG_LEVEL')] ?? 'info',
    BODY_LIMIT_BYTES: String(TIER_LIMITS[app.tier].bodyLimitBytes),
    // The gateway is this machine's nginx: X-Forwarded-For from it names the client.
    TRUSTED_PROXY: '127.0.0.1',
    FASTIFY_AUTOLOAD_TYPESCRIPT: '1',
    ...(options.modelDir ? { MODEL_DIR: options.modelDir } : {}),
  }
  const log = join(options.logDir, `${app.name}.log`)
  const out = openSync(log, 'w')
  let pid: number | undefined
  try {
    const child = spawn('npm', ['run', '--silent', 'dev'], {
      cwd: join(options.root, app.dir),
      env,
      stdio: ['ignore', out, out],
      // Its own process group: stopping it reaches every process the dev script starts.
      detached: true,
    })
    child.on('error', () => {})
    pid = child.pid
  } finally {
    closeSync(out)
  }
  if (pid === undefined) throw new Error(`could not start npm run dev in ${app.dir}`)
  const group = pid
  const watchdog = startWatchdog(STOP_GROUP, [String(group)])
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    log,
    pid: group,
    async stop() {
      signalGroup(group, 'SIGTERM')
      const deadline = Date.now() + STOP_TIMEOUT_MS
      while (groupAlive(group) && Date.now() < deadline) await sleep(50)
      signalGroup(group, 'SIGKILL')
      watchdog.disarm()
    },
  }
}

/** True once the app answers /healthz; false when it has not within `timeoutMs`. */
export async function waitForApp(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })
      if (response.ok) return true
    } catch {
      // not listening yet
    }
    await sleep(200)
  }
  return false
}
