import { fileURLToPath } from 'node:url'
import { type ChromaResources, resourcesFor } from '@flotilla/data/names'
import type { ModelName } from '@flotilla/ml'
import { type MlHarness, startMlApp } from '@flotilla/ml-service/testing'
import { appToken, loadRegistry } from '@flotilla/stack'
import { embedderApp } from '../src/app.js'
import { embedderConfigSchema } from '../src/config.js'

export { MODELS_ROOT } from '@flotilla/ml-service/testing'
export type Harness = MlHarness

const root = fileURLToPath(new URL('../../..', import.meta.url))
const registered = (await loadRegistry(root)).apps.find((app) => app.name === 'embedder')
/** The embedder's Chroma names as the provisioner derives them. */
export const CHROMA = (registered && resourcesFor(registered).chroma) as ChromaResources

/** The Chroma part of the embedder's credential file, as the provisioner writes it. */
export async function chromaCredentials(
  url: string,
  guardSecret: string,
): Promise<Record<string, string>> {
  const { tenant, database } = CHROMA
  return {
    CHROMA_URL: url,
    CHROMA_TOKEN: await appToken('chroma', guardSecret, 'embedder', { tenant, database }),
    CHROMA_TENANT: CHROMA.tenant,
    CHROMA_DATABASE: CHROMA.database,
    CHROMA_COLLECTIONS: CHROMA.collections.join(','),
  }
}

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
