import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AppError, ErrorBody } from '@flotilla/service'
import { Type } from 'typebox'
import {
  Document,
  DocumentId,
  DocumentPage,
  DocumentPageQuery,
  DocumentPatch,
  LinkParams,
  NewDocument,
  RelatedDocuments,
  RelatedQuery,
} from '../../../schemas/document.js'

const errors = { 400: ErrorBody, 404: ErrorBody, 503: ErrorBody }

function notFound(id: number): AppError {
  return new AppError(404, 'DOCUMENT_NOT_FOUND', `document ${id} does not exist`)
}

const documentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  /** The stored document, after one bounded attempt to index it (pendingIndex says the rest). */
  const afterWrite = async (id: number): Promise<Document> => {
    await app.indexer.indexWritten(id)
    const document = await app.documents.get(id)
    if (!document) throw notFound(id)
    return document
  }

  app.get(
    '/',
    {
      schema: {
        tags: ['documents'],
        querystring: DocumentPageQuery,
        response: { 200: DocumentPage, ...errors },
      },
    },
    async (request) => app.documents.list(request.query),
  )

  app.post(
    '/',
    { schema: { tags: ['documents'], body: NewDocument, response: { 201: Document, ...errors } } },
    async (request, reply) => {
      const id = await app.documents.create(request.body)
      return reply.status(201).send(await afterWrite(id))
    },
  )

  app.get(
    '/:id',
    { schema: { tags: ['documents'], params: DocumentId, response: { 200: Document, ...errors } } },
    async (request) => {
      const document = await app.documents.get(request.params.id)
      if (!document) throw notFound(request.params.id)
      return document
    },
  )

  app.patch(
    '/:id',
    {
      schema: {
        tags: ['documents'],
        params: DocumentId,
        body: DocumentPatch,
        response: { 200: Document, ...errors },
      },
    },
    async (request) => {
      if (!(await app.documents.update(request.params.id, request.body)))
        throw notFound(request.params.id)
      return afterWrite(request.params.id)
    },
  )

  app.delete(
    '/:id',
    {
      schema: {
        tags: ['documents'],
        params: DocumentId,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      if (!(await app.documents.delete(request.params.id))) throw notFound(request.params.id)
      await app.indexer.indexWritten(request.params.id)
      return reply.status(204).send(null)
    },
  )

  app.put(
    '/:id/links/:otherId',
    {
      schema: {
        tags: ['links'],
        description: 'Links document `id` to `otherId`; idempotent.',
        params: LinkParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const { id, otherId } = request.params
      if (id === otherId)
        throw new AppError(400, 'SELF_LINK', `document ${id} cannot link to itself`)
      const outcome = await app.documents.link(id, otherId)
      if (typeof outcome === 'object') throw notFound(outcome.missing)
      if (outcome === 'linked') await app.indexer.indexWritten(id)
      return reply.status(204).send(null)
    },
  )

  app.delete(
    '/:id/links/:otherId',
    {
      schema: { tags: ['links'], params: LinkParams, response: { 204: Type.Null(), ...errors } },
    },
    async (request, reply) => {
      const { id, otherId } = request.params
      if (!(await app.documents.unlink(id, otherId)))
        throw new AppError(404, 'LINK_NOT_FOUND', `document ${id} does not link to ${otherId}`)
      await app.indexer.indexWritten(id)
      return reply.status(204).send(null)
    },
  )

  app.get(
    '/:id/related',
    {
      schema: {
        tags: ['links'],
        description: 'Documents linked to this one (either way) or sharing a tag, up to 2 hops.',
        params: DocumentId,
        querystring: RelatedQuery,
        response: { 200: RelatedDocuments, ...errors },
      },
    },
    async (request) => {
      const related = await app.discovery.related(request.params.id, request.query.limit)
      if (!related) throw notFound(request.params.id)
      return related
    },
  )
}

export default documentRoutes
