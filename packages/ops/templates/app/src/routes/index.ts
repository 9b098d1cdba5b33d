import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'

const Hello = Type.Object({
  app: Type.String(),
  stores: Type.Array(Type.String()),
})

/** The app's routes; autoload mounts them under the manifest's route. */
export default async function routes(app: FastifyInstance): Promise<void> {
  app.get('/', { schema: { response: { 200: Hello } } }, async () => app.hello())
}
