import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autoload from '@fastify/autoload'
import { appData } from '@flotilla/data/fastify'
import type { FastifyInstance } from 'fastify'
import type { ClassifierConfig } from './config.js'
import classifications from './plugins/app/classifier.js'

const here = fileURLToPath(new URL('.', import.meta.url))

export interface ClassifierOptions {
  config: ClassifierConfig
  /** The credentials; default the process's environment (its credential file). */
  env?: Record<string, string | undefined>
}

/** The classifier app: everything it adds to a flotilla service. */
export async function classifierApp(
  app: FastifyInstance,
  { config, env }: ClassifierOptions,
): Promise<void> {
  // Redis is only the model's cache: without it /readyz says degraded and requests run the model.
  await app.register(appData, { optional: ['redis'], ...(env ? { env } : {}) })
  await app.register(classifications, config)
  await app.register(autoload, { dir: join(here, 'routes') })
}
