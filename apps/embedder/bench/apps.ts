// The ML apps as the benchmarks see them: the built server, the model it serves, the route
// one request goes to and how to read its answer. The classifier's bench runs these files too
// (apps/classifier/package.json `bench`).
import { fileURLToPath } from 'node:url'
import { ensureModel } from '@flotilla/ml'
import { MODELS_ROOT, realModelDir } from '@flotilla/ml-service/testing'

export type MlAppName = 'embedder' | 'classifier'

export interface MlApp {
  /** dist/main.js of the app (`npx turbo build` first). */
  main: string
  /** The model directory and a note on what it is. */
  model(): Promise<{ dir: string; note: string }>
  /** The transformers.js pipeline the same model runs in (transformers-server.mjs). */
  task: 'feature-extraction' | 'text-classification'
  path: string
  /** A request for one text (a string input) or several (an array). */
  body(input: string | string[], model: string): object
  /** An answer for several texts as one number row per text, to compare servers by. */
  rows(answer: unknown): number[][]
  /** Peak RSS target with one worker, MB (issue 14). */
  peakRssTargetMb: number
}

const built = (app: MlAppName) =>
  fileURLToPath(new URL(`../../${app}/dist/main.js`, import.meta.url))

const NOT_INSTALLED = 'the real model is not installed: run bash scripts/ci/real-models.sh'

export const ML_APPS: Record<MlAppName, MlApp> = {
  embedder: {
    main: built('embedder'),
    async model() {
      const dir = await realModelDir('embedding')
      if (!dir) throw new Error(NOT_INSTALLED)
      return { dir, note: 'the real model' }
    },
    task: 'feature-extraction',
    path: '/embedder/v1/embeddings',
    body: (input, model) => ({ model, input, encoding_format: 'base64' }),
    rows: (answer) =>
      (answer as { data: { embedding: string }[] }).data.map(({ embedding }) => {
        const bytes = Buffer.from(embedding, 'base64')
        return Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4))
      }),
    peakRssTargetMb: 300,
  },
  classifier: {
    main: built('classifier'),
    async model() {
      const dir = await realModelDir('classification')
      if (dir) return { dir, note: 'the real model' }
      return {
        dir: await ensureModel('distilbert-classifier', MODELS_ROOT),
        note: "generated weights of distilbert-sst2's shape (the real ones are only on the hub)",
      }
    },
    task: 'text-classification',
    path: '/classifier/predict',
    body: (inputs) => ({ inputs }),
    // Scores in label order, whatever order each server ranks them in.
    rows: (answer) =>
      (answer as { label: string; score: number }[][]).map((labels) =>
        [...labels].sort((a, b) => a.label.localeCompare(b.label)).map(({ score }) => score),
      ),
    peakRssTargetMb: 200,
  },
}
