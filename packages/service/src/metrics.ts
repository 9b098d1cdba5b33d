import type { FastifyInstance } from 'fastify'
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client'
import { type Static, Type } from 'typebox'

/**
 * Where a service's registry is served as JSON (prom-client's getMetricsAsJSON) for readers
 * in the fleet: the status page. A query on /metrics rather than a path of its own, so it
 * stays behind the one rule that keeps /metrics internal (nginx answers 404 for it).
 */
export const METRICS_JSON_PATH = '/metrics?format=json'

/** getMetricsAsJSON as sent: JSON has no NaN, so a NaN gauge (an idle lag percentile) is null. */
export const MetricsJson = Type.Array(
  Type.Object({
    name: Type.String(),
    type: Type.String(),
    values: Type.Array(
      Type.Object({
        value: Type.Union([Type.Number(), Type.Null()]),
        labels: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()])),
        /** A histogram's series: `<name>_bucket`, `_sum` or `_count`. */
        metricName: Type.Optional(Type.String()),
      }),
    ),
  }),
)
export type MetricsJson = Static<typeof MetricsJson>

const MetricsQuery = Type.Object({ format: Type.Optional(Type.Literal('json')) })

/**
 * Per-service registry rather than prom-client's global one, so several services (or tests)
 * in one process do not share series. Default metrics include event-loop lag percentiles.
 */
export function installMetrics(app: FastifyInstance, serviceName: string): Registry {
  const registry = new Registry()
  registry.setDefaultLabels({ service: serviceName })
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 })

  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })

  app.addHook('onResponse', async (request, reply) => {
    duration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    )
  })

  app.get<{ Querystring: Static<typeof MetricsQuery> }>(
    '/metrics',
    { schema: { hide: true, querystring: MetricsQuery } },
    async (request, reply) =>
      request.query.format === 'json'
        ? registry.getMetricsAsJSON()
        : reply.type(registry.contentType).send(await registry.metrics()),
  )
  return registry
}
