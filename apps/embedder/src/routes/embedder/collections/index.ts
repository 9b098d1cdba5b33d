import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AppError, ErrorBody } from '@flotilla/service'
import { validateAppName } from '@flotilla/stack'
import type { Where } from 'chromadb'
import {
  CallerHeaders,
  CollectionParams,
  NewRecords,
  QueryRequest,
  QueryResponse,
  Upserted,
} from '../../../schemas/collections.js'

const errors = {
  400: ErrorBody,
  404: ErrorBody,
  413: ErrorBody,
  500: ErrorBody,
  502: ErrorBody,
  503: ErrorBody,
}

function caller(headers: { 'x-flotilla-app': string }): string {
  const name = headers['x-flotilla-app']
  const problems = validateAppName(name)
  if (problems.length > 0) {
    throw new AppError(400, 'INVALID_CALLER', `x-flotilla-app: ${problems.join('; ')}`)
  }
  return name
}

/** Per-app semantic collections: texts are embedded here and stored in Chroma. */
const collectionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/:collection/records',
    {
      schema: {
        tags: ['collections'],
        headers: CallerHeaders,
        params: CollectionParams,
        body: NewRecords,
        response: { 200: Upserted, ...errors },
      },
    },
    async (request) => {
      const { ids, documents, metadatas } = request.body
      if (documents.length !== ids.length || (metadatas && metadatas.length !== ids.length)) {
        throw new AppError(
          400,
          'LENGTH_MISMATCH',
          'ids, documents and metadatas must have the same number of entries',
        )
      }
      const upserted = await app.collections.upsert(
        caller(request.headers),
        request.params.collection,
        request.body,
      )
      return { upserted }
    },
  )

  app.post(
    '/:collection/query',
    {
      schema: {
        tags: ['collections'],
        headers: CallerHeaders,
        params: CollectionParams,
        body: QueryRequest,
        response: { 200: QueryResponse, ...errors },
      },
    },
    async (request) => {
      const { query, n_results: nResults, where } = request.body
      const results = await app.collections.query(
        caller(request.headers),
        request.params.collection,
        { query, nResults, ...(where && { where: where as Where }) },
      )
      return { results }
    },
  )
}

export default collectionRoutes
