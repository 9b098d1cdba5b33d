import { type Static, type TSchema, Type } from 'typebox'

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

export const WindowSchema = Type.Union([Type.Literal('1h'), Type.Literal('24h')], {
  description: 'the span to read: the last hour (15 s points) or the last day (5 min points)',
})
export type Window = Static<typeof WindowSchema>

export const HistoryPointSchema = Type.Object({
  at: Type.String({ format: 'date-time', description: 'start of the bucket' }),
  samples: Type.Integer({ description: 'poll rounds in the bucket' }),
  downRatio: Type.Number({ description: 'share of those rounds the target was down (0…1)' }),
  requestsPerSecond: Nullable(Type.Number()),
  p50Ms: Nullable(Type.Number()),
  p95Ms: Nullable(Type.Number({ description: 'the worst p95 of the bucket' })),
  serverErrorRatio: Nullable(Type.Number({ description: 'share of requests answered 5xx' })),
  memoryBytes: Nullable(Type.Number({ description: 'the highest resident memory' })),
  memoryLimitBytes: Nullable(Type.Number({ description: 'the container limit (registry)' })),
  restarts: Type.Integer({ description: 'process restarts seen in the bucket' }),
  latencyMs: Nullable(Type.Number({ description: "a shared service's probe time" })),
})
export type HistoryPoint = Static<typeof HistoryPointSchema>

export const IncidentSchema = Type.Object({
  start: Type.String({ format: 'date-time' }),
  end: Nullable(Type.String({ format: 'date-time', description: 'null while still down' })),
  detail: Nullable(Type.String()),
})
export type Incident = Static<typeof IncidentSchema>

export const SeriesSchema = Type.Object({
  target: Type.String({ description: 'an app or shared service name' }),
  points: Type.Array(HistoryPointSchema),
  incidents: Type.Array(IncidentSchema, { description: 'down periods overlapping the window' }),
})
export type Series = Static<typeof SeriesSchema>

export const HistorySchema = Type.Object({
  window: WindowSchema,
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  bucketSeconds: Type.Integer(),
  series: Type.Array(SeriesSchema, { description: 'every target, or the one asked for' }),
})
export type History = Static<typeof HistorySchema>

export const HistoryQuerySchema = Type.Object(
  {
    service: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'an app or shared service name' }),
    ),
    window: Type.Optional(WindowSchema),
  },
  { additionalProperties: false },
)
