import { mlServiceProperties } from '@flotilla/ml-service'
import { serviceConfig } from '@flotilla/service'
import { type Static, Type } from 'typebox'

export const classifierConfigSchema = serviceConfig({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3102 }),
  /** MODEL_DIR holds a sequence-classification ONNX export. */
  ...mlServiceProperties('classifier'),
  // distilbert-sst2 takes 512 tokens: at the ML tier's 8192 a batch is 16 such inputs, and one
  // worker's peak measured 1.9 GB (bench/memory.ts in apps/embedder); at 2048, 0.75 GB, with
  // no throughput to lose on CPU, where batching gains little beyond a few inputs.
  MAX_BATCH_TOKENS: Type.Integer({ minimum: 1, default: 2048 }),
})

export type ClassifierConfig = Static<typeof classifierConfigSchema>
