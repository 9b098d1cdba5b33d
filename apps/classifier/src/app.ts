import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autoload from '@fastify/autoload'
import { redisCache } from '@flotilla/ml-service'
import type { FastifyInstance } from 'fastify'
import type { ClassifierConfig } from './config.js'
import classifications from './plugins/app/classifier.js'

const here = fileURLToPath(new URL('.', import.meta.url))

/** The classifier app: everything it adds to a flotilla service. */
export async function classifierApp(app: FastifyInstance, config: ClassifierConfig): Promise<void> {
  await app.register(redisCache, { app: 'classifier', config })
  await app.register(classifications, config)
  await app.register(autoload, { dir: join(here, 'routes') })
}
