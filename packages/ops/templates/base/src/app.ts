import { appDataConfigFromEnv, openAppData } from '@flotilla/data'
import type { FastifyInstance } from 'fastify'
import routes from './routes.js'

export interface __NAME__Options {
  /** Where the credentials file's variables are read from (process.env in production). */
  env: Record<string, string | undefined>
}

/** The __NAME__ app: everything it adds to a flotilla service. */
export async function __NAME__App(app: FastifyInstance, options: __NAME__Options): Promise<void> {
  // Opens exactly the stores the provisioner gave this app credentials for.
  const data = await openAppData('__NAME__', appDataConfigFromEnv(options.env), {
    onError: (store, error) => app.log.warn({ err: error }, `${store} error`),
  })
  for (const check of data.readiness) app.readiness.add(check)
  app.addHook('onClose', () => data.close())
  await app.register(routes, { prefix: '__ROUTE__', data })
}
