import {
  type FastifyPluginAsyncTypebox,
  TypeBoxValidatorCompiler,
} from '@fastify/type-provider-typebox'
import { AppError, ErrorBody } from '@flotilla/service'
import { Value } from 'typebox/value'
import {
  CallerHeaders,
  CollectionParams,
  NewRecords,
  QueryRequest,
  QueryResponse,
  Upserted,
} from '../../../schemas/collections.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The calling app, from its caller token. */
    caller: string
  }
}

const errors = {
  400: ErrorBody,
  401: ErrorBody,
  404: ErrorBody,
  413: ErrorBody,
  500: ErrorBody,
  502: ErrorBody,
  503: ErrorBody,
}

/** Per-app semantic collections: texts are embedded here and stored in Chroma. */
const collectionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // Bodies as sent, only the schema's defaults added: the service's coercion would turn a
  // null in a `where` into "" and answer a filter nobody asked for.
  app.setValidatorCompiler((route) => {
    const check = TypeBoxValidatorCompiler(route)
    return route.httpPart === 'body' ? (body) => check(Value.Default(route.schema, body)) : check
  })
  app.decorateRequest('caller', '')
  // Before the body is read: a caller without a valid token learns nothing, not even the schema.
  app.addHook('onRequest', async (request) => {
    request.caller = await app.callerOf(request.headers.authorization)
  })

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
        request.caller,
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
      const results = await app.collections.query(request.caller, request.params.collection, {
        query,
        nResults,
        ...(where && { where }),
      })
      return { results }
    },
  )
}

export default collectionRoutes
