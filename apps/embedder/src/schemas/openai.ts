import { type Static, Type } from 'typebox'

/** The OpenAI embeddings request, text inputs only (token arrays are refused). */
export const EmbeddingsRequest = Type.Object(
  {
    input: Type.Union([Type.String(), Type.Array(Type.String())]),
    model: Type.String({ minLength: 1 }),
    encoding_format: Type.Optional(Type.Union([Type.Literal('float'), Type.Literal('base64')])),
    dimensions: Type.Optional(Type.Integer()),
    user: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
)
export type EmbeddingsRequest = Static<typeof EmbeddingsRequest>

export const EmbeddingsResponse = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(
    Type.Object({
      object: Type.Literal('embedding'),
      index: Type.Integer(),
      /** Floats, or base64 of their little-endian float32 bytes. */
      embedding: Type.Union([Type.Array(Type.Number()), Type.String()]),
    }),
  ),
  model: Type.String(),
  usage: Type.Object({ prompt_tokens: Type.Integer(), total_tokens: Type.Integer() }),
})
export type EmbeddingsResponse = Static<typeof EmbeddingsResponse>

/**
 * OpenAI's error body. `code` and `message` are the service's own (as in every flotilla
 * error body); `type` and `param` are added for OpenAI clients.
 */
export const OpenAiErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    type: Type.Optional(Type.String()),
    param: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  }),
})
