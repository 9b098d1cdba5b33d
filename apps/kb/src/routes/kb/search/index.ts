import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorBody } from '@flotilla/service'
import { SearchQuery, SearchResults } from '../../../schemas/search.js'

const searchRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/',
    {
      schema: {
        tags: ['search'],
        description: 'Semantic search: the documents whose meaning is closest to `q`.',
        querystring: SearchQuery,
        response: { 200: SearchResults, 400: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => app.discovery.search(request.query.q, request.query.limit),
  )
}

export default searchRoutes
