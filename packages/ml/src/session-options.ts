import type { InferenceSession } from 'onnxruntime-node'

/**
 * Session options for a CPU share: explicit intra-op threads, one inter-op thread, and
 * spinning off so idle threads do not burn the container's CPU quota between requests.
 */
export function sessionOptions(intraOpThreads: number): InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    extra: {
      session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } },
    },
  }
}
