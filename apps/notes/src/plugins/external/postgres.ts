import { fileURLToPath } from 'node:url'
import { openAppData, runMigrations } from '@flotilla/data'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type pg from 'pg'

export { query } from '@flotilla/data'

declare module 'fastify' {
  interface FastifyInstance {
    pg: pg.Pool
  }
}

const migrationsDir = fileURLToPath(new URL('../../../migrations', import.meta.url))

export default fp(
  async (app: FastifyInstance, { databaseUrl }: { databaseUrl: string }) => {
    const data = await openAppData(
      'notes',
      { postgres: { url: databaseUrl } },
      {
        // An idle client losing its server; unhandled, it would crash the process.
        onError: (store, error) => app.log.warn({ err: error }, `${store} client lost`),
      },
    )
    app.addHook('onClose', () => data.close())
    await runMigrations({
      databaseUrl,
      dir: migrationsDir,
      log: (message) => app.log.debug(message),
    })

    app.decorate('pg', data.pg as pg.Pool)
    for (const check of data.readiness) app.readiness.add(check)
  },
  { name: 'postgres' },
)
