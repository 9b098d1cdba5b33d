import { type Static, Type } from 'typebox'

export const NoteId = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) })

const title = Type.String({ minLength: 1, maxLength: 200 })
const body = Type.String({ maxLength: 20_000 })

export const Note = Type.Object({
  id: Type.Integer(),
  title,
  body,
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})
export type Note = Static<typeof Note>

export const NewNote = Type.Object(
  { title, body: Type.Optional(body) },
  { additionalProperties: false },
)
export type NewNote = Static<typeof NewNote>

export const NotePatch = Type.Object(
  { title: Type.Optional(title), body: Type.Optional(body) },
  { additionalProperties: false, minProperties: 1 },
)
export type NotePatch = Static<typeof NotePatch>

export const NotePageQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    before: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647 })),
  },
  { additionalProperties: false },
)
export type NotePageQuery = Static<typeof NotePageQuery>

export const NotePage = Type.Object({
  items: Type.Array(Note),
  /** Pass as `before` to get the next (older) page; null on the last page. */
  nextBefore: Type.Union([Type.Integer(), Type.Null()]),
})
export type NotePage = Static<typeof NotePage>
