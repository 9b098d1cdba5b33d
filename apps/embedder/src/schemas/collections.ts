import { COLLECTION_NAME_PATTERN } from '@flotilla/stack'
import { type Static, Type } from 'typebox'

/** The calling app names itself; the embedder keeps each caller's records apart. */
export const CallerHeaders = Type.Object({
  'x-flotilla-app': Type.String({ minLength: 1 }),
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

export const QueryRequest = Type.Object(
  {
    query: Type.String({ minLength: 1 }),
    n_results: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
    /** A Chroma metadata filter, e.g. {"topic": "ml"}. */
    where: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
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
