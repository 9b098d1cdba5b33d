import { setTimeout } from 'node:timers/promises'
import closeWithGrace from 'close-with-grace'
import type { Static, TObject } from 'typebox'
import { type BaseConfig, ConfigError, loadConfig } from './config.js'
import type { Service } from './create-service.js'

/** Loads config for a process entry point; a bad config prints every problem and exits 1. */
export function loadConfigOrExit<S extends TObject>(schema: S): Static<S> {
  try {
    return loadConfig(schema)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(`${error.message}\n`)
    process.exit(1)
  }
}

/**
 * Listens and closes gracefully on SIGTERM/SIGINT: serve on for SHUTDOWN_DRAIN_MS with /readyz
 * 503, then stop accepting, let in-flight requests finish, run onClose hooks (pools), and exit 1
 * if closing takes longer than SHUTDOWN_TIMEOUT_MS. An uncaught error skips the drain.
 */
export async function startService(app: Service, config: BaseConfig): Promise<void> {
  closeWithGrace(
    { delay: config.SHUTDOWN_DRAIN_MS + config.SHUTDOWN_TIMEOUT_MS, logger: app.log },
    async ({ signal, err }) => {
      if (err) app.log.error({ err }, 'shutting down after an uncaught error')
      else {
        app.log.info({ signal, drainMs: config.SHUTDOWN_DRAIN_MS }, 'shutting down')
        app.readiness.drain()
        await setTimeout(config.SHUTDOWN_DRAIN_MS)
      }
      await app.close()
    },
  )
  await app.listen({ host: config.HOST, port: config.PORT })
}

export interface LocalService {
  url: string
  close(): Promise<void>
}

/**
 * A service on a random loopback port that logs nothing, from `env` as its entry point would
 * read it: for tests and local tools (the guards' `startLocalGuard`, their tests).
 */
export async function startLocalService<S extends TObject>(
  schema: S,
  build: (config: Static<S>) => Promise<Service>,
  env: NodeJS.ProcessEnv,
): Promise<LocalService> {
  const config = loadConfig(schema, { LOG_LEVEL: 'silent', ...env })
  const service = await build(config)
  const url = await service.listen({ host: '127.0.0.1', port: 0 })
  return { url, close: () => service.close() }
}
