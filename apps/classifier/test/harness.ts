import { type MlHarness, startMlApp } from '@flotilla/ml-service/testing'
import { classifierApp } from '../src/app.js'
import { classifierConfigSchema } from '../src/config.js'

export { MODELS_ROOT } from '@flotilla/ml-service/testing'
export type Harness = MlHarness

/** The classifier app on the generated tiny-classifier and the real test Redis. */
export function startClassifier(env: Record<string, string> = {}): Promise<Harness> {
  return startMlApp({
    name: 'classifier',
    schema: classifierConfigSchema,
    plugin: classifierApp,
    model: 'tiny-classifier',
    env,
  })
}
