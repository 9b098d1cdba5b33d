import { ErrorBody } from '@flotilla/service'
import type { FastifyInstance } from 'fastify'
import { type Static, Type } from 'typebox'
import { RulesSchema, WebhookFormatSchema } from './alerts/config.js'
import { type History, HistoryQuerySchema, HistorySchema, type Window } from './history/types.js'
import type { StatusReport } from './report.js'

const RuleNameSchema = Type.Union([
  Type.Literal('appDown'),
  Type.Literal('serviceDown'),
  Type.Literal('p95'),
  Type.Literal('memory'),
  Type.Literal('backupAge'),
])

const ActiveAlertSchema = Type.Object({
  rule: RuleNameSchema,
  target: Type.String(),
  message: Type.String(),
  since: Type.String({ format: 'date-time', description: 'when the condition began to hold' }),
  firedAt: Type.String({ format: 'date-time' }),
})

const NoticeSchema = Type.Object({
  kind: Type.Union([Type.Literal('firing'), Type.Literal('reminder'), Type.Literal('resolved')]),
  rule: RuleNameSchema,
  target: Type.String(),
  message: Type.String(),
  since: Type.String({ format: 'date-time' }),
  at: Type.String({ format: 'date-time' }),
})

export const AlertsViewSchema = Type.Object({
  active: Type.Array(ActiveAlertSchema, { description: 'firing now, oldest first' }),
  recent: Type.Array(NoticeSchema, { description: 'the last 50 notices sent, newest first' }),
  rules: RulesSchema,
  overrides: Type.Record(Type.String(), Type.Unknown()),
  reminderMinutes: Type.Number(),
  backupsWatched: Type.Boolean({ description: 'whether BACKUP_RECORDS_DIR is set' }),
  backups: Type.Array(
    Type.Object({
      app: Type.String(),
      finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
        description: 'when its newest verified backup finished; null: none recorded',
      }),
      sizeBytes: Type.Union([Type.Integer(), Type.Null()]),
    }),
    { description: 'each app scripts/backup backs up, as of the last round' },
  ),
  webhooks: Type.Array(
    Type.Object({
      name: Type.String(),
      format: WebhookFormatSchema,
      urlEnv: Type.String(),
      configured: Type.Boolean({ description: 'whether its variable holds a URL' }),
    }),
  ),
})
export type AlertsView = Static<typeof AlertsViewSchema>

export interface ApiSources {
  report(): StatusReport
  history(window: Window, target: string | null): Promise<History>
  alerts(): AlertsView
}

/** The JSON API, for scripts and scripts/healthcheck; schemas are published at /docs/json. */
export function registerApiRoutes(app: FastifyInstance, sources: ApiSources): void {
  app.get(
    '/api/status',
    { schema: { summary: 'Health and key metrics of every app and shared service' } },
    async (_request, reply) => reply.header('cache-control', 'no-store').send(sources.report()),
  )
  app.get(
    '/api/history',
    {
      schema: {
        summary: 'Time series and down periods of one app or shared service, or of all',
        querystring: HistoryQuerySchema,
        response: { 200: HistorySchema, 400: ErrorBody, 404: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const { service, window } = request.query as Static<typeof HistoryQuerySchema>
      const history = await sources.history(window ?? '1h', service ?? null)
      return reply.header('cache-control', 'no-store').send(history)
    },
  )
  app.get(
    '/api/alerts',
    {
      schema: {
        summary: 'Alerts firing now, the latest notices, and the rules in force',
        response: { 200: AlertsViewSchema },
      },
    },
    async (_request, reply) => reply.header('cache-control', 'no-store').send(sources.alerts()),
  )
}
