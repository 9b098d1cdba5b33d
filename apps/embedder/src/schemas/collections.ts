import { COLLECTION_NAME_PATTERN } from '@flotilla/stack'
import type { Where } from 'chromadb'
import { type Static, type TSchema, type TUnsafe, Type } from 'typebox'

/** The calling app proves its name with its caller token; each caller's records are kept apart. */
export const CallerHeaders = Type.Object({
  authorization: Type.String({
    description: "Bearer <the calling app's EMBEDDER_TOKEN, from the provisioner>",
  }),
})

export const CollectionParams = Type.Object({
  collection: Type.String({ pattern: COLLECTION_NAME_PATTERN }),
})

const Metadata = Type.Record(
  Type.String(),
  Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]),
)

export const NewRecords = Type.Object(
  {
    ids: Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { minItems: 1 }),
    documents: Type.Array(Type.String(), { minItems: 1 }),
    metadatas: Type.Optional(Type.Array(Metadata)),
  },
  { additionalProperties: false },
)
export type NewRecords = Static<typeof NewRecords>

export const Upserted = Type.Object({ upserted: Type.Integer() })

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean()])

/** A field's condition: a value, or operators ($eq, $in, …; Chroma checks which) on values. */
const Condition = Type.Union([
  Scalar,
  Type.Record(Type.String({ pattern: '^\\$' }), Type.Union([Scalar, Type.Array(Scalar)])),
])

/** How deep `$and` / `$or` may nest in a `where`. */
export const MAX_WHERE_DEPTH = 4

/**
 * A Chroma metadata filter, e.g. {"topic": "ml"} or {"$and": [{…}, {…}]}, as far as its
 * shape goes: the client library would fail on a null or a non-list `$and` with a plain
 * TypeError (a 500), so such filters must not reach it. Chroma judges the rest (400).
 */
function whereSchema(depth: number): TUnsafe<Where> {
  const patternProperties: Record<string, TSchema> = { '^[^$]': Condition }
  if (depth > 0) patternProperties['^\\$(and|or)$'] = Type.Array(whereSchema(depth - 1))
  return Type.Unsafe<Where>({
    type: 'object',
    description: 'A Chroma metadata filter, e.g. {"topic": "ml"}',
    patternProperties,
    additionalProperties: false,
  })
}

export const QueryRequest = Type.Object(
  {
    query: Type.String({ minLength: 1 }),
    n_results: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
    where: Type.Optional(whereSchema(MAX_WHERE_DEPTH)),
  },
  { additionalProperties: false },
)
export type QueryRequest = Static<typeof QueryRequest>

export const QueryResponse = Type.Object({
  results: Type.Array(
    Type.Object({
      id: Type.String(),
      document: Type.Union([Type.String(), Type.Null()]),
      metadata: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
      distance: Type.Union([Type.Number(), Type.Null()]),
    }),
  ),
})
