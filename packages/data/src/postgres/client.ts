import { AppError, isDependencyUnavailable } from '@flotilla/service'
import pg from 'pg'
import { DEFAULT_RETRY, type RetryOptions, withRetry } from '../retry.js'

/** Runs a query, turning an unreachable server into a 503 in the service's error shape. */
export async function query<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  text: string,
  values: unknown[] = [],
): Promise<pg.QueryResult<R>> {
  try {
    return await pool.query<R>(text, values)
  } catch (error) {
    if (isDependencyUnavailable(error)) {
      throw new AppError(
        503,
        'DEPENDENCY_UNAVAILABLE',
        'postgres is unavailable',
        { 'retry-after': '5' },
        { cause: error },
      )
    }
    throw error
  }
}

export interface PostgresClientConfig {
  /** The app's DATABASE_URL (its own role and database). */
  url: string
  /** Extra pg.Pool settings; the connection itself always comes from `url`. */
  pool?: Omit<
    pg.PoolConfig,
    'connectionString' | 'user' | 'password' | 'database' | 'host' | 'port'
  >
}

/**
 * A pool on the app's own database, checked with retries so a server still starting is
 * waited for (boundedly). `onError` receives idle clients' errors, which would otherwise
 * crash the process.
 */
export async function openPostgres(
  config: PostgresClientConfig,
  onError: (error: Error) => void,
  retry: RetryOptions = DEFAULT_RETRY,
): Promise<pg.Pool> {
  const pool = new pg.Pool({
    max: 10,
    connectionTimeoutMillis: 2_000,
    idleTimeoutMillis: 30_000,
    ...config.pool,
    connectionString: config.url,
  })
  pool.on('error', onError)
  try {
    // Only an unreachable server is worth waiting for; a bad password will not get better.
    await withRetry('postgres', () => pool.query('SELECT 1'), retry, isDependencyUnavailable)
  } catch (error) {
    await pool.end()
    throw error
  }
  return pool
}
