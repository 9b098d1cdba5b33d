import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { type BackupAccess, credential, type RunTool, type StoreBackup } from '../backup-types.js'

/**
 * How pg_dump, pg_restore and psql are reached: locally (their major version must be at
 * least the server's), or inside the postgres container (@flotilla/ops passes both in, see
 * its backup/compose-access.ts).
 */
export interface PgTools {
  run: RunTool
  /** The argv to run `tool args…` against `databaseUrl` (no password in it). */
  command(tool: string, args: string[], databaseUrl: string, password: string): string[]
}

export interface PostgresBackupAccess extends BackupAccess {
  pgTools: PgTools
}

export type TableCounts = Record<string, number>

const FILE = 'postgres.dump'

/** Connection arguments without the password (it goes by PGPASSWORD, never argv). */
function command(tools: PgTools, databaseUrl: string, tool: string, args: string[]) {
  const url = new URL(databaseUrl)
  const password = decodeURIComponent(url.password)
  url.password = ''
  return { argv: tools.command(tool, args, url.href, password), env: { PGPASSWORD: password } }
}

/** pg_dump in custom format, as the database's owner (the app's own role). */
export async function dumpPostgres(tools: PgTools, databaseUrl: string, file: string) {
  const { argv, env } = command(tools, databaseUrl, 'pg_dump', ['-Fc', '--no-owner', '--no-acl'])
  await tools.run(argv, { env, stdoutFile: file })
}

/**
 * Makes the database what the dump holds, in ONE transaction: everything the app's role
 * owns is dropped (tables made after the backup too), then the dump's SQL runs; any error
 * rolls all of it back. pg_restore only converts the archive to SQL (no connection).
 */
export async function restorePostgres(tools: PgTools, databaseUrl: string, file: string) {
  const scratch = await mkdtemp(join(tmpdir(), 'flotilla-restore-'))
  try {
    const sql = join(scratch, 'restore.sql')
    await writeFile(sql, 'DROP OWNED BY CURRENT_USER;\n')
    const toSql = tools.command('pg_restore', ['--no-owner', '--no-acl', '-f', '-'], '', '')
    const converted = join(scratch, 'dump.sql')
    await tools.run(toSql, { stdinFile: file, stdoutFile: converted })
    await appendFile(sql, await readFile(converted))
    const { argv, env } = command(tools, databaseUrl, 'psql', [
      '--quiet',
      '--no-psqlrc',
      '--single-transaction',
      '--set',
      'ON_ERROR_STOP=1',
      '--output',
      '/dev/null',
    ])
    await tools.run(argv, { env, stdinFile: sql })
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

/** Rows per user table, `schema.table` → count. */
export async function countRows(databaseUrl: string): Promise<TableCounts> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const { rows: tables } = await client.query<{ schema: string; name: string }>(
      `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
       WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
       ORDER BY 1, 2`,
    )
    const counts: TableCounts = {}
    for (const { schema, name } of tables) {
      const qualified = `${client.escapeIdentifier(schema)}.${client.escapeIdentifier(name)}`
      const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualified}`)
      counts[`${schema}.${name}`] = Number(rows[0]?.n ?? 0)
    }
    return counts
  } finally {
    await client.end()
  }
}

const databaseUrl = (access: BackupAccess) => credential(access, 'DATABASE_URL', 'postgres')

/** The app's database, with its own role: pg_dump's custom format, restored in one transaction. */
export const postgresBackup: StoreBackup<PostgresBackupAccess, TableCounts> = {
  count: (access) => countRows(databaseUrl(access)),
  async backup(access, dir, log) {
    const url = databaseUrl(access)
    await dumpPostgres(access.pgTools, url, join(dir, FILE))
    log(`postgres: database ${new URL(url).pathname.slice(1)} → ${FILE}`)
    return [FILE]
  },
  async prepareRestore(access, dir, files) {
    if (!files.includes(FILE)) return undefined
    const url = databaseUrl(access)
    return async (log) => {
      await restorePostgres(access.pgTools, url, join(dir, FILE))
      log('postgres: restored')
    }
  },
}
