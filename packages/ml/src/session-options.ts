import type { InferenceSession } from 'onnxruntime-node'

/**
 * Session options for a CPU share and a small memory limit: explicit intra-op threads, one
 * inter-op thread, spinning off so idle threads do not burn the container's CPU quota between
 * requests, and no memory pattern (it plans buffers per input shape, and shapes vary here with
 * every batch).
 *
 * Not spinning has a price at one request at a time: with 2 intra-op threads MiniLM's pool
 * thread sleeps ~39 times per run (between operators) where a spinning one sleeps ~1, and each
 * wake-up is latency on a quiet machine — what transformers.js, on onnxruntime's spinning
 * defaults, gains there. Spinning, even stopped at the end of each run
 * (session.force_spinning_stop) or bounded to 200 µs (session.intra_op.spin_duration_us),
 * cost 1.4–2× the CPU per run and lost latency whenever other processes wanted the cores
 * (measured at load average 10–50 on 2 cores). In the stack each ML container has one CPU,
 * hence one thread and no pool to wake.
 *
 * The memory arena stays on unless glibc's mmap threshold is fixed
 * (MALLOC_MMAP_THRESHOLD_, which an operator may set for memory). Without it glibc keeps the freed buffers
 * of every run (attention grows with batch × seq²) in fragmented heaps, and the arena, which
 * reuses its own, peaked lower: the embedder under 32 clients of 256-token inputs peaked at
 * 373–410 MB with the arena, 561–707 MB without. With the threshold fixed every large buffer
 * goes back to the system when freed, and without the arena it peaked at 305–334 MB — but every
 * run then maps and zeroes its buffers afresh: on a quiet machine fp32 MiniLM at 32 clients did
 * half the requests of the arena's (apps/embedder/bench), so the image does not set it.
 */
export function sessionOptions(
  intraOpThreads: number,
  env: NodeJS.ProcessEnv = process.env,
): InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    enableCpuMemArena: env.MALLOC_MMAP_THRESHOLD_ === undefined,
    enableMemPattern: false,
    extra: {
      session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } },
    },
  }
}
