import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import type { SystemUser } from './system-user.js'
import { startWatchdog, type Watchdog } from './watchdog.js'

const STOP_TIMEOUT_MS = 10_000

/** After our death: stop the server ($1) with its signal ($2), then delete its temp dir ($3, if any). */
const STOP_AND_REMOVE = `
kill -"$2" "$1" 2>/dev/null
i=0
while kill -0 "$1" 2>/dev/null && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i+1)); done
kill -KILL "$1" 2>/dev/null
[ -n "$3" ] && rm -rf "$3"
`

export interface ServiceProcessOptions {
  command: string
  args: string[]
  /** Temp dir that belongs to this server; deleted when it stops unless `keepDir`. */
  tempDir: string
  /** The dir holds data kept across runs (local development): never deleted. */
  keepDir?: boolean
  logFile: string
  stopSignal: NodeJS.Signals
  runAs?: SystemUser | undefined
  env?: NodeJS.ProcessEnv
}

/** A server process that never outlives the test process and takes its temp dir with it. */
export class ServiceProcess {
  readonly #child: ChildProcess
  readonly #watchdog: Watchdog
  readonly #options: ServiceProcessOptions
  #stopping: Promise<void> | undefined

  constructor(options: ServiceProcessOptions) {
    this.#options = options
    const log = openSync(options.logFile, 'a')
    try {
      this.#child = spawn(options.command, options.args, {
        cwd: options.tempDir,
        env: options.env ?? { PATH: process.env.PATH, LC_ALL: 'C' },
        stdio: ['ignore', log, log],
        // Own process group, so a terminal Ctrl-C reaches the test run, which stops us in order.
        detached: true,
        uid: options.runAs?.uid,
        gid: options.runAs?.gid,
      })
    } finally {
      closeSync(log)
    }
    // Swallow spawn errors here; exitReason() reports them to whoever waits for readiness.
    this.#child.on('error', () => {})
    const pid = this.#child.pid
    if (pid === undefined) {
      throw new Error(`could not start ${options.command}`)
    }
    this.#watchdog = startWatchdog(STOP_AND_REMOVE, [
      String(pid),
      options.stopSignal.replace(/^SIG/, ''),
      options.keepDir ? '' : options.tempDir,
    ])
  }

  get tempDir(): string {
    return this.#options.tempDir
  }

  /** Why the server is no longer running (with its log), or undefined while it runs. */
  exitReason(): string | undefined {
    const { exitCode, signalCode } = this.#child
    if (exitCode === null && signalCode === null) return undefined
    const how = exitCode === null ? `killed by ${signalCode}` : `exited with code ${exitCode}`
    return `${this.#options.command} ${how}:\n${this.log()}`
  }

  log(): string {
    try {
      return readFileSync(this.#options.logFile, 'utf8').trim()
    } catch {
      return '(no log)'
    }
  }

  /** Resolves with the exit code once the process has ended (for one that ends by itself). */
  async exited(): Promise<number | null> {
    const child = this.#child
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit')
    return child.exitCode
  }

  /** Lets the test process exit while the server runs; the watchdog then cleans up. */
  detach(): void {
    this.#child.unref()
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop()
    return this.#stopping
  }

  async #stop(): Promise<void> {
    this.#watchdog.disarm()
    const child = this.#child
    if (child.exitCode === null && child.signalCode === null) {
      child.ref()
      const exited = once(child, 'exit')
      child.kill(this.#options.stopSignal)
      const timer = new AbortController()
      const timeout = sleep(STOP_TIMEOUT_MS, 'timeout' as const, { signal: timer.signal })
      const outcome = await Promise.race([exited, timeout])
      timer.abort()
      timeout.catch(() => {})
      if (outcome === 'timeout') {
        child.kill('SIGKILL')
        await exited
      }
    }
    if (!this.#options.keepDir) rmSync(this.#options.tempDir, { recursive: true, force: true })
  }
}
