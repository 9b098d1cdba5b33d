import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findFreePort } from './free-port.js'
import { ServiceProcess, type ServiceProcessOptions } from './service-process.js'
import { waitUntil } from './wait-until.js'

/** The server could not bind its port because something else took it first; worth a retry. */
class PortTakenError extends Error {}

function isPortTakenLog(log: string): boolean {
  return /address already in use/i.test(log)
}

/** Runs `start` again with a fresh port when the port was grabbed between choosing and binding. */
async function retryIfPortTaken<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start()
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt >= attempts) throw error
    }
  }
}

/** How to run the server once its dir is ready and its port chosen. */
export type ServerCommand = Omit<ServiceProcessOptions, 'tempDir' | 'keepDir'>

export interface ServerStart {
  /** Names the server in errors, e.g. `Redis (/usr/bin/redis-server)`. */
  what: string
  /**
   * `{ keep }`: data kept in that dir (created if missing) across stops, never deleted;
   * `{ tempPrefix }`: a fresh temp dir per start, deleted when the server stops.
   */
  dir: { keep: string } | { tempPrefix: string }
  /** Fills the dir before a port is chosen (slow steps such as initdb belong here). */
  prepare?(dir: string): Promise<void> | void
  /** The server's command for `port`; may write config files into `dir`. */
  command(dir: string, port: number): ServerCommand
  /** Resolves once the server on `port` answers. */
  probe(port: number): Promise<void>
  readyTimeoutMs: number
  intervalMs?: number
}

export interface StartedServer {
  port: number
  dir: string
  /** Detached: the test process may exit while it runs; its watchdog then stops it. */
  process: ServiceProcess
}

/**
 * Starts a server from the machine's binaries on a free loopback port and waits until it
 * answers; starts again on a fresh port when another process took the port in between.
 */
export function startOnFreePort(start: ServerStart): Promise<StartedServer> {
  return retryIfPortTaken(() => startOnce(start))
}

async function startOnce(start: ServerStart): Promise<StartedServer> {
  const kept = 'keep' in start.dir
  const dir =
    'keep' in start.dir ? start.dir.keep : mkdtempSync(join(tmpdir(), start.dir.tempPrefix))
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  let server: ServiceProcess | undefined
  try {
    await start.prepare?.(dir)
    const port = await findFreePort()
    server = new ServiceProcess({ ...start.command(dir, port), tempDir: dir, keepDir: kept })
    const running = server
    await waitUntil(() => start.probe(port), {
      what: `${start.what} on port ${port}`,
      timeoutMs: start.readyTimeoutMs,
      intervalMs: start.intervalMs,
      giveUpIf: () => running.exitReason(),
    })
    running.detach()
    return { port, dir, process: running }
  } catch (error) {
    const portTaken = server !== undefined && isPortTakenLog(server.log())
    if (server) await server.stop()
    else if (!kept) rmSync(dir, { recursive: true, force: true })
    throw portTaken ? new PortTakenError((error as Error).message) : error
  }
}
