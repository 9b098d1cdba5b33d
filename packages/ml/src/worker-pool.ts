import { Worker } from 'node:worker_threads'
import { InferenceError, ModelLoadError } from './errors.js'
import type {
  BatchResult,
  BatchTensors,
  WorkerConfig,
  WorkerMessage,
  WorkerRequest,
} from './worker-protocol.js'

// Under tsx (tests, scripts) this file is .ts and so is its sibling worker, which then
// needs tsx registered in its own thread before it is imported.
const RUNNING_SOURCE = import.meta.url.endsWith('.ts')
const WORKER_URL = new URL(RUNNING_SOURCE ? './worker.ts' : './worker.js', import.meta.url)
const TSX_BOOTSTRAP = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}) })`

export interface WorkerPoolOptions extends WorkerConfig {
  size: number
  /** A run that takes longer kills its worker (which is replaced) and fails. */
  runTimeoutMs: number
  /** Called whenever a worker becomes free, so a scheduler can hand it the next batch. */
  onAvailable?: () => void
}

interface Job {
  tensors: BatchTensors
  resolve: (result: BatchResult) => void
  reject: (error: Error) => void
}

interface Slot {
  state: 'starting' | 'idle' | 'busy' | 'dead'
  worker?: Worker
  job?: Job & { id: number; timer: NodeJS.Timeout }
}

/**
 * A fixed number of worker threads, each with its own onnxruntime session. A worker that
 * errors or exits fails the job it held and is replaced; a slot whose model no longer loads
 * is retried on the next run, so every job settles.
 */
export class WorkerPool {
  private readonly slots: Slot[]
  private readonly waiting: Job[] = []
  private nextJobId = 0
  private closed = false

  private constructor(private readonly options: WorkerPoolOptions) {
    this.slots = Array.from({ length: options.size }, () => ({ state: 'dead' }))
  }

  /** Starts every worker; rejects with ModelLoadError if the model does not load. */
  static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    if (!Number.isInteger(options.size) || options.size < 1) {
      throw new RangeError(`pool size must be a positive integer, got ${options.size}`)
    }
    const pool = new WorkerPool(options)
    try {
      await Promise.all(pool.slots.map((slot) => pool.spawn(slot)))
    } catch (error) {
      await pool.close()
      throw error
    }
    return pool
  }

  /** True when a run would start now, or would retry loading a model no worker holds. */
  get hasCapacity(): boolean {
    return this.slots.some((slot) => slot.state === 'idle') || !this.hasLiveWorker()
  }

  run(tensors: BatchTensors): Promise<BatchResult> {
    if (this.closed) return Promise.reject(new InferenceError('worker pool is closed'))
    return new Promise((resolve, reject) => {
      this.waiting.push({ tensors, resolve, reject })
      this.dispatch()
    })
  }

  /** Fails waiting jobs, lets running ones finish (bounded by runTimeoutMs), stops workers. */
  async close(): Promise<void> {
    this.closed = true
    for (const job of this.waiting.splice(0)) job.reject(new InferenceError('worker pool closed'))
    await Promise.all(
      this.slots.map(async (slot) => {
        while (slot.job) await new Promise((resolve) => setTimeout(resolve, 10))
        const worker = slot.worker
        slot.state = 'dead'
        slot.worker = undefined
        await worker?.terminate()
      }),
    )
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.waiting.length === 0) return
      if (slot.state === 'idle') this.assign(slot, this.waiting.shift() as Job)
    }
    const dead = this.slots.find((slot) => slot.state === 'dead')
    if (this.waiting.length > 0 && dead && !this.hasLiveWorker()) this.respawn(dead)
  }

  private hasLiveWorker(): boolean {
    return !this.closed && this.slots.some((slot) => slot.state !== 'dead')
  }

  private respawn(slot: Slot): void {
    this.spawn(slot).catch((error: Error) => {
      if (this.hasLiveWorker()) return
      // No worker can take the waiting jobs: fail them rather than let them hang, and let
      // the scheduler hand over its next batch, which retries the load.
      for (const job of this.waiting.splice(0)) job.reject(error)
      if (!this.closed) this.options.onAvailable?.()
    })
  }

  private spawn(slot: Slot): Promise<void> {
    const { modelPath, intraOpThreads, postprocess } = this.options
    const config: WorkerConfig = { modelPath, intraOpThreads, postprocess }
    const worker = RUNNING_SOURCE
      ? new Worker(TSX_BOOTSTRAP, { eval: true, workerData: config })
      : new Worker(WORKER_URL, { workerData: config })
    slot.state = 'starting'
    slot.worker = worker
    return new Promise((resolve, reject) => {
      let loadFailure: string | undefined
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') {
          slot.state = 'idle'
          resolve()
          this.becameAvailable()
        } else if (message.type === 'load-failed') {
          loadFailure = message.message
        } else {
          this.settle(slot, message)
        }
      })
      worker.on('error', (error) => {
        loadFailure ??= error.message
        this.failJob(slot, new InferenceError(`inference worker crashed: ${error.message}`))
      })
      worker.on('exit', (exitCode) => {
        if (slot.worker !== worker) return
        slot.worker = undefined
        const wasStarting = slot.state === 'starting'
        slot.state = 'dead'
        if (wasStarting) {
          reject(
            new ModelLoadError(modelPath, loadFailure ?? `worker exited with code ${exitCode}`),
          )
        } else {
          this.failJob(slot, new InferenceError(`inference worker exited with code ${exitCode}`))
          if (!this.closed) this.respawn(slot)
        }
      })
    })
  }

  private assign(slot: Slot, job: Job): void {
    const id = this.nextJobId++
    const timer = setTimeout(() => {
      this.failJob(
        slot,
        new InferenceError(`inference timed out after ${this.options.runTimeoutMs} ms`),
      )
      this.abandon(slot)
    }, this.options.runTimeoutMs)
    slot.state = 'busy'
    slot.job = { ...job, id, timer }
    const { tensors } = job
    const request: WorkerRequest = { id, tensors }
    slot.worker?.postMessage(request, [
      tensors.inputIds.buffer as ArrayBuffer,
      tensors.attentionMask.buffer as ArrayBuffer,
      tensors.tokenTypeIds.buffer as ArrayBuffer,
    ])
  }

  /**
   * Gives the slot a fresh worker and lets the old one finish its run first: terminating
   * a worker inside session.run aborts the whole process (onnxruntime-node).
   */
  private abandon(slot: Slot): void {
    const old = slot.worker
    if (!old) return
    old.removeAllListeners('message')
    old.once('message', () => void old.terminate())
    slot.worker = undefined
    slot.state = 'dead'
    if (!this.closed) this.respawn(slot)
  }

  private settle(slot: Slot, message: Extract<WorkerMessage, { id: number }>): void {
    const job = slot.job
    if (!job || job.id !== message.id) return
    clearTimeout(job.timer)
    slot.job = undefined
    slot.state = 'idle'
    if (message.type === 'result') job.resolve(message.result)
    else job.reject(new InferenceError(`inference failed: ${message.message}`))
    this.becameAvailable()
  }

  private failJob(slot: Slot, error: Error): void {
    const job = slot.job
    if (!job) return
    clearTimeout(job.timer)
    slot.job = undefined
    job.reject(error)
  }

  private becameAvailable(): void {
    this.dispatch()
    if (this.hasCapacity) this.options.onAvailable?.()
  }
}
