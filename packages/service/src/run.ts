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
 * Listens and closes gracefully on SIGTERM/SIGINT: stop accepting, let in-flight requests
 * finish, run onClose hooks (pools), and exit 1 if that takes longer than the bound.
 */
export async function startService(app: Service, config: BaseConfig): Promise<void> {
  closeWithGrace(
    { delay: config.SHUTDOWN_TIMEOUT_MS, logger: app.log },
    async ({ signal, err }) => {
      if (err) app.log.error({ err }, 'shutting down after an uncaught error')
      else app.log.info({ signal }, 'shutting down')
      await app.close()
    },
  )
  await app.listen({ host: config.HOST, port: config.PORT })
}
