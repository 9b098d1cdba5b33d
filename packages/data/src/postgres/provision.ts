import pg from 'pg'
import type { Change, ProvisionTarget } from '../provision-types.js'
import { scramVerifier } from './scram.js'

const { escapeIdentifier: ident, escapeLiteral: literal } = pg

export const DEFAULT_CONNECTION_LIMIT = 20

/** Databases every cluster has, which PUBLIC (so every app role) could otherwise connect to. */
const SHARED_DATABASES = ['postgres', 'template1']

export interface PostgresPlan {
  target: ProvisionTarget
  password: string
  /** The password was generated this run: set it even on an existing role. */
  passwordIsNew: boolean
}

interface RoleRow {
  rolcanlogin: boolean
  rolsuper: boolean
  rolcreatedb: boolean
  rolcreaterole: boolean
  rolreplication: boolean
  rolbypassrls: boolean
  rolinherit: boolean
  rolconnlimit: number
}

const ROLE_ATTRIBUTES = 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS'

function roleDrift(row: RoleRow, limit: number): string[] {
  const drift: string[] = []
  if (!row.rolcanlogin) drift.push('NOLOGIN')
  if (row.rolsuper) drift.push('SUPERUSER')
  if (row.rolcreatedb) drift.push('CREATEDB')
  if (row.rolcreaterole) drift.push('CREATEROLE')
  if (row.rolreplication) drift.push('REPLICATION')
  if (row.rolbypassrls) drift.push('BYPASSRLS')
  if (row.rolconnlimit !== limit) drift.push(`CONNECTION LIMIT ${row.rolconnlimit}`)
  return drift
}

/** True when PUBLIC holds any privilege on the database (a NULL acl means the defaults do). */
async function publicHasAccess(client: pg.Client, database: string): Promise<boolean> {
  const { rows } = await client.query<{ public_access: boolean }>(
    `SELECT datacl IS NULL
         OR EXISTS (SELECT 1 FROM aclexplode(datacl) acl WHERE acl.grantee = 0) AS public_access
       FROM pg_database WHERE datname = $1`,
    [database],
  )
  return rows[0]?.public_access ?? false
}

async function revokePublic(client: pg.Client, database: string, app: string): Promise<Change[]> {
  if (!(await publicHasAccess(client, database))) return []
  await client.query(`REVOKE ALL ON DATABASE ${ident(database)} FROM PUBLIC`)
  return [{ store: 'postgres', app, action: 'revoke public', detail: `database ${database}` }]
}

async function ensureRole(
  client: pg.Client,
  plan: PostgresPlan,
  role: string,
  limit: number,
): Promise<Change[]> {
  const app = plan.target.name
  const { rows } = await client.query<RoleRow>('SELECT * FROM pg_roles WHERE rolname = $1', [role])
  const password = literal(scramVerifier(plan.password))
  const attributes = `${ROLE_ATTRIBUTES} CONNECTION LIMIT ${limit}`
  const existing = rows[0]
  if (!existing) {
    await client.query(`CREATE ROLE ${ident(role)} ${attributes} PASSWORD ${password}`)
    return [{ store: 'postgres', app, action: 'create role', detail: `${role} (${attributes})` }]
  }
  const changes: Change[] = []
  const drift = roleDrift(existing, limit)
  if (drift.length > 0) {
    await client.query(`ALTER ROLE ${ident(role)} ${attributes}`)
    changes.push({
      store: 'postgres',
      app,
      action: 'alter role',
      detail: `${role}: was ${drift.join(', ')}`,
    })
  }
  if (plan.passwordIsNew) {
    await client.query(`ALTER ROLE ${ident(role)} PASSWORD ${password}`)
    changes.push({ store: 'postgres', app, action: 'set password', detail: role })
  }
  return changes
}

async function ensureDatabase(
  client: pg.Client,
  app: string,
  database: string,
  owner: string,
): Promise<Change[]> {
  const { rows } = await client.query<{ owner: string }>(
    'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1',
    [database],
  )
  const existing = rows[0]
  const changes: Change[] = []
  if (!existing) {
    await client.query(`CREATE DATABASE ${ident(database)} OWNER ${ident(owner)}`)
    changes.push({
      store: 'postgres',
      app,
      action: 'create database',
      detail: `${database} owned by ${owner}`,
    })
  } else if (existing.owner !== owner) {
    await client.query(`ALTER DATABASE ${ident(database)} OWNER TO ${ident(owner)}`)
    changes.push({
      store: 'postgres',
      app,
      action: 'alter database',
      detail: `${database}: owner ${existing.owner} → ${owner}`,
    })
  }
  changes.push(...(await revokePublic(client, database, app)))
  return changes
}

/** Connects as the superuser; the caller ends the client. */
export async function connectPostgresAdmin(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 })
  await client.connect()
  return client
}

/** Login role + owned database per app, PUBLIC shut out of every app and shared database. */
export async function provisionPostgres(
  client: pg.Client,
  plans: PostgresPlan[],
  connectionLimit = DEFAULT_CONNECTION_LIMIT,
): Promise<Change[]> {
  const changes: Change[] = []
  for (const database of SHARED_DATABASES) {
    changes.push(...(await revokePublic(client, database, '*')))
  }
  for (const plan of plans) {
    const resources = plan.target.resources.postgres
    if (!resources) continue
    changes.push(...(await ensureRole(client, plan, resources.role, connectionLimit)))
    changes.push(
      ...(await ensureDatabase(client, plan.target.name, resources.database, resources.role)),
    )
  }
  return changes
}
