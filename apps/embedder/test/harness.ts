import type { ModelName } from '@flotilla/ml'
import { type MlHarness, startMlApp } from '@flotilla/ml-service/testing'
import { embedderApp } from '../src/app.js'
import { embedderConfigSchema } from '../src/config.js'

export { MODELS_ROOT } from '@flotilla/ml-service/testing'
export type Harness = MlHarness

/** The embedder app on a generated model and the real test Redis (behind an outage proxy). */
export function startEmbedder(
  env: Record<string, string> = {},
  model: ModelName = 'tiny-encoder',
): Promise<Harness> {
  return startMlApp({
    name: 'embedder',
    schema: embedderConfigSchema,
    plugin: embedderApp,
    model,
    env: { MODEL_ALIASES: 'test-alias', ...env },
  })
}

export function norm(vector: ArrayLike<number>): number {
  return Math.hypot(...Array.from(vector))
}
