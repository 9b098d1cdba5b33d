import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyInstance {
    hello(): { app: string; stores: string[] }
  }
}

/** What the app knows of itself: its name and the stores it opened. */
export default fp(
  async (app: FastifyInstance) => {
    const stores = (['pg', 'redis', 'chroma', 'qdrant', 'graph'] as const).filter(
      (store) => app.data[store] !== undefined,
    )
    app.decorate('hello', () => ({ app: '__NAME__', stores: [...stores] }))
  },
  { name: 'hello', dependencies: ['app-data'] },
)
