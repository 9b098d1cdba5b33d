import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorBody } from '@flotilla/service'
import { IndexQueueStatus, ReindexQuery, ReindexResult } from '../../schemas/reindex.js'

/**
 * Operator endpoints at the app root, outside the public /kb/ route: nginx does not
 * forward them, so they answer only on the internal network.
 */
const adminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/index-queue',
    { schema: { hide: true, response: { 200: IndexQueueStatus, 503: ErrorBody } } },
    async () => app.indexQueue.status(),
  )

  app.post(
    '/reindex',
    {
      schema: {
        hide: true,
        querystring: ReindexQuery,
        response: { 200: ReindexResult, 400: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const queued = request.query.all ? await app.indexQueue.enqueueAll() : 0
      // An operator asking has fixed something: retry failing jobs without their backoff.
      await app.indexQueue.retryNow()
      const { indexed, failed } = await app.indexer.drain()
      return { queued, indexed, failed, queue: await app.indexQueue.status() }
    },
  )
}

export default adminRoutes
