import { type Static, Type } from 'typebox'
import { Document } from './document.js'

export const SearchQuery = Type.Object(
  {
    q: Type.String({ minLength: 1, maxLength: 2_000 }),
    limit: Type.Integer({ minimum: 1, maximum: 50, default: 10 }),
  },
  { additionalProperties: false },
)
export type SearchQuery = Static<typeof SearchQuery>

export const SearchResults = Type.Object({
  items: Type.Array(Type.Object({ document: Document, score: Type.Number() })),
  /** Documents written but not yet searchable (waiting for the re-index job). */
  unindexed: Type.Integer(),
})
export type SearchResults = Static<typeof SearchResults>
