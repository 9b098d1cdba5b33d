import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autoload from '@fastify/autoload'
import { appData } from '@flotilla/data/fastify'
import type { FastifyInstance } from 'fastify'
import manifest from '../package.json' with { type: 'json' }
import type { __NAME__Config } from './config.js'
import hello from './plugins/app/hello.js'

const here = fileURLToPath(new URL('.', import.meta.url))

export interface __NAME__Options {
  config: __NAME__Config
  /** The credentials; default the process's environment (its credential file). */
  env?: Record<string, string | undefined>
}

/** The __NAME__ app: everything it adds to a flotilla service. */
export async function __NAME__App(app: FastifyInstance, { env }: __NAME__Options): Promise<void> {
  // The stores the manifest declares, opened from the credentials the provisioner wrote.
  // Optional: /readyz says degraded without one; list a store under `required` once the
  // app cannot serve without it.
  await app.register(appData, { optional: [__STORES__], ...(env ? { env } : {}) })
  await app.register(hello)
  await app.register(autoload, {
    dir: join(here, 'routes'),
    options: { prefix: manifest.flotilla.route },
  })
}
