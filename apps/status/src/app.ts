import { readFile } from 'node:fs/promises'
import { freemem, totalmem } from 'node:os'
import { AppError } from '@flotilla/service'
import type { FastifyInstance } from 'fastify'
import { type BackupState, BackupWatch } from './alerts/backups.js'
import { type LoadedAlerts, loadAlerts } from './alerts/config.js'
import { AlertEngine } from './alerts/engine.js'
import { Notifier } from './alerts/notify.js'
import { conditions } from './alerts/rules.js'
import type { StatusConfig } from './config.js'
import { readFleet } from './fleet.js'
import { HistoryStore, HistoryUnavailableError, WINDOWS } from './history/store.js'
import type { History, Window } from './history/types.js'
import { FleetMonitor } from './monitor.js'
import { RENDER_SCRIPT_PATH, renderPage } from './page/page.js'
import type { StatusReport } from './report.js'
import { type AlertsView, registerApiRoutes } from './routes.js'

/** How long the first render waits for the charts before sending the page without them. */
const PAGE_HISTORY_WAIT_MS = 1_000

/**
 * The status app: probes the fleet in the background, keeps its history, raises alerts and
 * serves the page and its JSON.
 */
export async function statusApp(app: FastifyInstance, config: StatusConfig): Promise<void> {
  const fleet = await readFleet(config.FLEET_FILE)
  const alerts = await loadAlerts(config.ALERTS_FILE, process.env, {
    backupMaxAgeHours: config.BACKUP_MAX_AGE_HOURS,
  })
  const renderer = await readFile(new URL('./page/render.js', import.meta.url), 'utf8')
  const notifier = new Notifier(alerts.webhooks, (webhook, error) =>
    // The URL is a secret: only the webhook's name is logged.
    app.log.error({ webhook, reason: String(error) }, 'alert webhook failed'),
  )
  const engine = new AlertEngine({
    reminderMs: alerts.config.reminderMinutes * 60_000,
    send: (notice) => {
      app.log.warn({ notice }, `alert ${notice.kind}: ${notice.target} ${notice.rule}`)
      notifier.send(notice)
    },
  })
  const history = new HistoryStore({
    databaseUrl: config.DATABASE_URL,
    retentionHours: config.HISTORY_RETENTION_HOURS,
    reconnectMs: config.HISTORY_RECONNECT_MS,
    log: app.log,
    // Both at once: a restored backup alert must meet its app's stored watch start, or it
    // would resolve at the next round and fire again.
    onConnected: (state) => {
      engine.restore(state.firing)
      backupWatch?.restore(state.backupWatch)
    },
  })
  const backupWatch =
    config.BACKUP_RECORDS_DIR === undefined
      ? null
      : new BackupWatch({
          dir: config.BACKUP_RECORDS_DIR,
          apps: fleet.apps.filter((target) => target.backedUp).map((target) => target.name),
          history,
          startedAt: new Date(),
          onError: (error) => app.log.warn({ err: error }, 'cannot read the backup records'),
        })
  let backups: BackupState[] = []
  const report = (): StatusReport => ({
    ...monitor.report(),
    machine: { memoryTotalBytes: totalmem(), memoryAvailableBytes: freemem() },
    historyAvailable: history.available,
    alerts: engine.active(),
  })
  const monitor = new FleetMonitor({
    fleet,
    intervalMs: config.POLL_INTERVAL_MS,
    timeoutMs: config.PROBE_TIMEOUT_MS,
    windowMs: config.METRICS_WINDOW_MS,
    onError: (error) => app.log.error({ err: error }, 'fleet poll failed'),
    onRound: async (round) => {
      backups = (await backupWatch?.read()) ?? []
      engine.evaluate(
        conditions(alerts.config, report(), backupWatch?.ready ? backups : null, round.at),
        round.at,
      )
      // Not awaited: a slow or absent database must not delay probes or alerts.
      void history.record({ ...round, firing: engine.firing() })
      cachedHistory.clear()
    },
  })

  // Every viewer's page asks for the same charts each round: read them once per round.
  const cachedHistory = new Map<Window, Promise<History>>()
  const readHistory = (window: Window, target: string | null): Promise<History> => {
    const read = async () => {
      const to = new Date()
      return {
        window,
        from: new Date(to.getTime() - WINDOWS[window].ms).toISOString(),
        to: to.toISOString(),
        bucketSeconds: WINDOWS[window].bucketSeconds,
        series: await history.read(window, target, to),
      }
    }
    if (target !== null) return read()
    let cached = cachedHistory.get(window)
    if (!cached) {
      cached = read()
      cached.catch(() => cachedHistory.delete(window))
      cachedHistory.set(window, cached)
    }
    return cached
  }

  app.readiness.add(history.readiness)
  app.addHook('onReady', async () => {
    history.start()
    monitor.start()
  })
  app.addHook('onClose', async () => {
    await monitor.stop()
    await notifier.drain()
    await history.close()
  })

  app.get(
    '/',
    {
      schema: {
        hide: true,
        querystring: {
          type: 'object',
          properties: { window: { type: 'string', enum: Object.keys(WINDOWS) } },
        },
      },
    },
    async (request, reply) => {
      const window = (request.query as { window?: Window }).window ?? '1h'
      const charts = await Promise.race([
        readHistory(window, null).catch(() => null),
        new Promise<null>((resolve) =>
          setTimeout(() => resolve(null), PAGE_HISTORY_WAIT_MS).unref(),
        ),
      ])
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(renderPage(report(), charts, window))
    },
  )
  app.get(RENDER_SCRIPT_PATH, { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(renderer),
  )
  const targets = new Set([
    ...fleet.apps.map((target) => target.name),
    ...fleet.services.map((target) => target.name),
  ])
  registerApiRoutes(app, {
    report,
    history: async (window, target) => {
      if (target !== null && !targets.has(target)) {
        throw new AppError(404, 'UNKNOWN_SERVICE', `no app or shared service is named ${target}`)
      }
      try {
        return await readHistory(window, target)
      } catch (error) {
        if (error instanceof HistoryUnavailableError) {
          throw new AppError(503, 'HISTORY_UNAVAILABLE', error.message, { 'retry-after': '5' })
        }
        throw error
      }
    },
    alerts: () => alertsView(alerts, engine, backupWatch !== null, backups),
  })
}

function alertsView(
  alerts: LoadedAlerts,
  engine: AlertEngine,
  backupsWatched: boolean,
  backups: readonly BackupState[],
): AlertsView {
  return {
    active: engine.active(),
    recent: engine.recent(),
    rules: alerts.config.rules,
    overrides: alerts.config.overrides,
    reminderMinutes: alerts.config.reminderMinutes,
    backupsWatched,
    backups: backups.map(({ app, finishedAt, sizeBytes }) => ({
      app,
      finishedAt: finishedAt?.toISOString() ?? null,
      sizeBytes,
    })),
    webhooks: alerts.webhooks.map(({ name, format, urlEnv, url }) => ({
      name,
      format,
      urlEnv,
      configured: url !== null,
    })),
  }
}
