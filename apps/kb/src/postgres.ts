import { AppError, isDependencyUnavailable } from '@flotilla/service'
import type pg from 'pg'

function unavailable(cause: unknown): AppError {
  return new AppError(
    503,
    'DEPENDENCY_UNAVAILABLE',
    'postgres is unavailable',
    { 'retry-after': '5' },
    { cause },
  )
}

/** Runs `work` in one transaction; an unreachable server becomes a 503 in the error shape. */
export async function transaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  let client: pg.PoolClient
  try {
    client = await pool.connect()
  } catch (error) {
    throw isDependencyUnavailable(error) ? unavailable(error) : error
  }
  // A checked-out client has no pool listener: a connection dying now would otherwise be
  // an uncaught 'error' event. The failure itself reaches `work` through its queries.
  let failed: unknown
  const onError = (error: Error) => {
    failed ??= error
  }
  client.on('error', onError)
  try {
    await client.query('BEGIN')
    const result = await work(client)
    await client.query('COMMIT')
    return result
  } catch (error) {
    failed = error
    await client.query('ROLLBACK').catch(() => {})
    throw isDependencyUnavailable(error) ? unavailable(error) : error
  } finally {
    client.off('error', onError)
    // A client whose connection broke must not go back to the pool.
    client.release(
      failed !== undefined && isDependencyUnavailable(failed) ? (failed as Error) : undefined,
    )
  }
}
