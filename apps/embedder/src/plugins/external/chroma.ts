import { ChromaClient } from 'chromadb'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyInstance {
    /** Absent when no CHROMA_URL is configured. */
    chroma: ChromaClient | undefined
  }
}

export interface ChromaOptions {
  /** The Chroma guard, e.g. http://chroma-guard:8000. */
  url: string | undefined
  token: string
  tenant: string
  database: string
}

export default fp(
  async (app: FastifyInstance, { url, token, tenant, database }: ChromaOptions) => {
    if (!url) {
      app.decorate('chroma', undefined)
      return
    }
    const { hostname, port, protocol } = new URL(url)
    const client = new ChromaClient({
      host: hostname,
      port: Number(port) || (protocol === 'https:' ? 443 : 80),
      ssl: protocol === 'https:',
      tenant,
      database,
      headers: { 'x-chroma-token': token },
    })
    app.decorate('chroma', client)
    app.readiness.add({ name: 'chroma', required: false, check: () => client.heartbeat() })
  },
  { name: 'chroma' },
)
