/** What the worker does with the model output before sending it back (off the event loop). */
export type Postprocess = 'mean-pool-normalize' | 'softmax'

export interface WorkerConfig {
  modelPath: string
  intraOpThreads: number
  postprocess: Postprocess
}

/** A padded batch: every tensor is [batch, seq] row-major. */
export interface BatchTensors {
  batch: number
  seq: number
  inputIds: BigInt64Array
  attentionMask: BigInt64Array
  tokenTypeIds: BigInt64Array
}

/** One output row per batch input: [batch, width]. */
export interface BatchResult {
  width: number
  data: Float32Array
}

export type WorkerRequest = { id: number; tensors: BatchTensors }

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'load-failed'; message: string }
  | { type: 'result'; id: number; result: BatchResult }
  | { type: 'run-failed'; id: number; message: string }
