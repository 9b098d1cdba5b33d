import type { AppData } from '@flotilla/data'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'

const Hello = Type.Object({
  app: Type.String(),
  stores: Type.Array(Type.String()),
})

/** The app's routes, mounted under its public prefix. */
export default async function routes(
  app: FastifyInstance,
  options: { data: AppData },
): Promise<void> {
  const stores = ['pg', 'redis', 'chroma', 'qdrant', 'graph'].filter(
    (store) => options.data[store as keyof AppData] !== undefined,
  )
  app.get('/', { schema: { response: { 200: Hello } } }, async () => ({
    app: '__NAME__',
    stores,
  }))
}
