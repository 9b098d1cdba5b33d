import { type Static, Type } from 'typebox'

/** Text Embeddings Inference's /embed request. */
export const EmbedRequest = Type.Object(
  {
    inputs: Type.Union([Type.String(), Type.Array(Type.String())]),
    /** As in TEI: off by default, so a too long input is refused with 413. */
    truncate: Type.Boolean({ default: false }),
    /** Only true: vectors are always unit length. */
    normalize: Type.Boolean({ default: true }),
  },
  { additionalProperties: false },
)
export type EmbedRequest = Static<typeof EmbedRequest>

export const EmbedResponse = Type.Array(Type.Array(Type.Number()))

export const ModelList = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(
    Type.Object({
      id: Type.String(),
      object: Type.Literal('model'),
      owned_by: Type.String(),
      aliases: Type.Array(Type.String()),
      dimensions: Type.Integer(),
      max_tokens: Type.Integer(),
    }),
  ),
})
export type ModelList = Static<typeof ModelList>
