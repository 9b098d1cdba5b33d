import { randomBytes } from 'node:crypto'
import pg from 'pg'

const PREFIX = /^[a-z_][a-z0-9_]{0,39}$/
const DATABASE_NAME = /^[a-z_][a-z0-9_]{0,62}$/

async function withClient(url: string, work: (client: pg.Client) => Promise<unknown>) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await work(client)
  } finally {
    await client.end()
  }
}

/**
 * Creates an empty database with a unique name starting with `prefix` on the server `serverUrl`
 * points at, and returns its URL: each test file gets its own, so parallel files never collide.
 */
export async function createDatabase(serverUrl: string, prefix: string): Promise<string> {
  if (!PREFIX.test(prefix)) {
    throw new Error(
      `database prefix "${prefix}" must be 1-40 lower-case letters, digits or underscores, not starting with a digit`,
    )
  }
  const name = `${prefix}_${randomBytes(6).toString('hex')}`
  await withClient(serverUrl, (client) => client.query(`CREATE DATABASE "${name}"`))
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return url.toString()
}

/** Drops the database `databaseUrl` names, disconnecting anyone still using it. */
export async function dropDatabase(serverUrl: string, databaseUrl: string): Promise<void> {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1))
  if (!DATABASE_NAME.test(name)) {
    throw new Error(`"${name}" is not a database name createDatabase() makes; refusing to drop it`)
  }
  if (name === decodeURIComponent(new URL(serverUrl).pathname.slice(1))) {
    throw new Error(`cannot drop "${name}": it is the database serverUrl connects to`)
  }
  await withClient(serverUrl, (client) =>
    client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  )
}
