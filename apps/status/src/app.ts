import { readFile } from 'node:fs/promises'
import type { FastifyInstance } from 'fastify'
import type { StatusConfig } from './config.js'
import { readFleet } from './fleet.js'
import { FleetMonitor } from './monitor.js'
import { RENDER_SCRIPT_PATH, renderPage } from './page/page.js'

/** The status app: probes the fleet in the background and serves the page and its JSON. */
export async function statusApp(app: FastifyInstance, config: StatusConfig): Promise<void> {
  const fleet = await readFleet(config.FLEET_FILE)
  const renderer = await readFile(new URL('./page/render.js', import.meta.url), 'utf8')
  const monitor = new FleetMonitor({
    fleet,
    intervalMs: config.POLL_INTERVAL_MS,
    timeoutMs: config.PROBE_TIMEOUT_MS,
    windowMs: config.METRICS_WINDOW_MS,
    onError: (error) => app.log.error({ err: error }, 'fleet poll failed'),
  })
  app.addHook('onReady', async () => monitor.start())
  app.addHook('onClose', async () => monitor.stop())

  app.get('/', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(renderPage(monitor.report())),
  )
  app.get(RENDER_SCRIPT_PATH, { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(renderer),
  )
  app.get(
    '/api/status',
    { schema: { summary: 'Health and key metrics of every app and shared service' } },
    async (_request, reply) => reply.header('cache-control', 'no-store').send(monitor.report()),
  )
}
