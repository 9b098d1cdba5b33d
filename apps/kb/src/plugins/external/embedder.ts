import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { type EmbedderClient, embedderClient, noEmbedder } from '../../indexing/embedder-client.js'

declare module 'fastify' {
  interface FastifyInstance {
    embedder: EmbedderClient
  }
}

export default fp(
  async (app: FastifyInstance, { url, timeoutMs }: { url?: string; timeoutMs: number }) => {
    const client = url ? embedderClient(url, timeoutMs) : noEmbedder
    app.decorate('embedder', client)
    // Optional: without it writes queue and search answers 503, reads still work.
    app.readiness.add({
      name: 'embedder',
      required: false,
      check: (signal) => client.ready(signal),
    })
  },
  { name: 'embedder' },
)
