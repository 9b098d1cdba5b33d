import { fileURLToPath } from 'node:url'
import { AppError } from '@flotilla/service'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { runner } from 'node-pg-migrate'
import pg from 'pg'

declare module 'fastify' {
  interface FastifyInstance {
    pg: pg.Pool
  }
}

const migrationsDir = fileURLToPath(new URL('../../../migrations', import.meta.url))

// Connection-level failures: the server is away, not the query wrong.
const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P03',
])

export function isPostgresUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const code = (error as { code?: string }).code
  if (code && (unavailableCodes.has(code) || code.startsWith('08'))) return true
  return /Connection terminated|timeout exceeded when trying to connect/i.test(error.message)
}

/** Runs a query, turning an unreachable server into a 503 in the service's error shape. */
export async function query<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  text: string,
  values: unknown[] = [],
): Promise<pg.QueryResult<R>> {
  try {
    return await pool.query<R>(text, values)
  } catch (error) {
    if (isPostgresUnavailable(error)) {
      throw new AppError(503, 'DEPENDENCY_UNAVAILABLE', 'postgres is unavailable', {
        'retry-after': '5',
      })
    }
    throw error
  }
}

export default fp(
  async (app: FastifyInstance, { databaseUrl }: { databaseUrl: string }) => {
    const pool = new pg.Pool({
      connectionString: databaseUrl,
      max: 10,
      connectionTimeoutMillis: 2_000,
      idleTimeoutMillis: 30_000,
    })
    // An idle client losing its server emits here; unhandled, it would crash the process.
    pool.on('error', (error) => app.log.warn({ err: error }, 'postgres client lost'))
    app.addHook('onClose', () => pool.end())

    await runner({
      databaseUrl,
      dir: migrationsDir,
      direction: 'up',
      migrationsTable: 'schema_migrations',
      log: (message) => app.log.debug(message),
    })

    app.decorate('pg', pool)
    app.readiness.add({ name: 'postgres', required: true, check: () => pool.query('SELECT 1') })
  },
  { name: 'postgres' },
)
