import { type Static, Type } from 'typebox'

export const PredictRequest = Type.Object(
  {
    inputs: Type.Union([Type.String(), Type.Array(Type.String())]),
    /** Labels per input, best first; default all. */
    top_k: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Cut inputs longer than the model takes (default), or refuse them with 413. */
    truncate: Type.Boolean({ default: true }),
  },
  { additionalProperties: false },
)
export type PredictRequest = Static<typeof PredictRequest>

const Predictions = Type.Array(Type.Object({ label: Type.String(), score: Type.Number() }))

/** One list for a string input, a list per input for an array. */
export const PredictResponse = Type.Union([Predictions, Type.Array(Predictions)])
