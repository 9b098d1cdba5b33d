import { type Static, Type } from 'typebox'

const idSchema = Type.Integer({ minimum: 1, maximum: 2_147_483_647 })

export const DocumentId = Type.Object({ id: idSchema })
export const LinkParams = Type.Object({ id: idSchema, otherId: idSchema })
export type LinkParams = Static<typeof LinkParams>

const title = Type.String({ minLength: 1, maxLength: 200 })
const body = Type.String({ maxLength: 100_000 })
const tag = Type.String({
  pattern: '^[a-z0-9][a-z0-9_-]{0,39}$',
  description: 'lower case letters, digits, "-" and "_"; at most 40 characters',
})
const tags = Type.Array(tag, { maxItems: 20, uniqueItems: true })

export const IndexTarget = Type.Union([Type.Literal('vector'), Type.Literal('graph')])
export type IndexTarget = Static<typeof IndexTarget>

export const Document = Type.Object({
  id: Type.Integer(),
  title,
  body,
  tags,
  /** Documents this one links to. */
  links: Type.Array(Type.Integer()),
  /** Indexes not yet up to date with this version ([] when search and graph have it). */
  pendingIndex: Type.Array(IndexTarget),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})
export type Document = Static<typeof Document>

export const NewDocument = Type.Object(
  { title, body: Type.Optional(body), tags: Type.Optional(tags) },
  { additionalProperties: false },
)
export type NewDocument = Static<typeof NewDocument>

export const DocumentPatch = Type.Object(
  { title: Type.Optional(title), body: Type.Optional(body), tags: Type.Optional(tags) },
  { additionalProperties: false, minProperties: 1 },
)
export type DocumentPatch = Static<typeof DocumentPatch>

export const DocumentPageQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    before: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
)
export type DocumentPageQuery = Static<typeof DocumentPageQuery>

export const DocumentPage = Type.Object({
  items: Type.Array(Document),
  /** Pass as `before` to get the next (older) page; null on the last page. */
  nextBefore: Type.Union([Type.Integer(), Type.Null()]),
})
export type DocumentPage = Static<typeof DocumentPage>

export const RelatedQuery = Type.Object(
  { limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }) },
  { additionalProperties: false },
)

export const RelatedDocuments = Type.Object({
  items: Type.Array(
    Type.Object({
      document: Document,
      /** A link in either direction between the two documents. */
      linked: Type.Boolean(),
      sharedTags: Type.Array(Type.String()),
    }),
  ),
})
export type RelatedDocuments = Static<typeof RelatedDocuments>
