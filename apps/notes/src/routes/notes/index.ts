import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AppError, ErrorBody } from '@flotilla/service'
import { Type } from 'typebox'
import { NewNote, Note, NoteId, NotePage, NotePageQuery, NotePatch } from '../../schemas/note.js'

const errors = { 400: ErrorBody, 404: ErrorBody, 429: ErrorBody, 503: ErrorBody }

function notFound(id: number): AppError {
  return new AppError(404, 'NOTE_NOT_FOUND', `note ${id} does not exist`)
}

const notesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/',
    {
      schema: {
        tags: ['notes'],
        querystring: NotePageQuery,
        response: { 200: NotePage, ...errors },
      },
    },
    async (request) => app.notes.list(request.query),
  )

  app.post(
    '/',
    { schema: { tags: ['notes'], body: NewNote, response: { 201: Note, ...errors } } },
    async (request, reply) => reply.status(201).send(await app.notes.create(request.body)),
  )

  app.get(
    '/:id',
    { schema: { tags: ['notes'], params: NoteId, response: { 200: Note, ...errors } } },
    async (request) => {
      const note = await app.notes.get(request.params.id)
      if (!note) throw notFound(request.params.id)
      return note
    },
  )

  app.patch(
    '/:id',
    {
      schema: {
        tags: ['notes'],
        params: NoteId,
        body: NotePatch,
        response: { 200: Note, ...errors },
      },
    },
    async (request) => {
      const note = await app.notes.update(request.params.id, request.body)
      if (!note) throw notFound(request.params.id)
      return note
    },
  )

  app.delete(
    '/:id',
    { schema: { tags: ['notes'], params: NoteId, response: { 204: Type.Null(), ...errors } } },
    async (request, reply) => {
      if (!(await app.notes.delete(request.params.id))) throw notFound(request.params.id)
      return reply.status(204).send(null)
    },
  )
}

export default notesRoutes
