import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Gauge } from 'prom-client'
import { Indexer } from '../../indexing/indexer.js'

declare module 'fastify' {
  interface FastifyInstance {
    indexer: Indexer
  }
}

export interface IndexerPluginOptions {
  intervalMs: number
  batchSize: number
  inlineWaitMs: number
}

/**
 * The re-index job: in-process, every `intervalMs`, it drains the queue. Writes also try
 * their own document at once (bounded by `inlineWaitMs`) so search sees them right away.
 */
export default fp(
  async (app: FastifyInstance, options: IndexerPluginOptions) => {
    const indexer = new Indexer(
      app.pg,
      app.indexQueue,
      app.embedder,
      app.vectors,
      app.graph,
      {
        batchSize: options.batchSize,
        inlineWaitMs: options.inlineWaitMs,
      },
      app.log,
    )
    app.decorate('indexer', indexer)

    new Gauge({
      name: 'kb_index_queue_jobs',
      help: 'Indexing jobs waiting in PostgreSQL, by target',
      labelNames: ['target'],
      registers: [app.metricsRegistry],
      async collect() {
        const status = await app.indexQueue.status().catch(() => undefined)
        if (!status) return
        this.set({ target: 'vector' }, status.vector.pending)
        this.set({ target: 'graph' }, status.graph.pending)
      },
    })

    let timer: NodeJS.Timeout | undefined
    let pass: Promise<unknown> = Promise.resolve()
    let stopped = false
    const tick = () => {
      pass = indexer
        .drain()
        .catch((error) => app.log.warn({ err: error }, 're-index pass failed'))
        .finally(() => {
          if (!stopped) timer = setTimeout(tick, options.intervalMs)
        })
    }
    app.addHook('onReady', async () => {
      timer = setTimeout(tick, 0)
    })
    app.addHook('preClose', async () => {
      stopped = true
      clearTimeout(timer)
      await pass
    })
  },
  { name: 'indexer', dependencies: ['stores', 'embedder', 'documents'] },
)
