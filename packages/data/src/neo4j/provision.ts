import neo4j, { type Driver } from 'neo4j-driver'
import type { Change, ProvisionTarget } from '../provision-types.js'
import type { CypherQuery } from './cypher.js'
import type { Neo4jMode } from './graph.js'
import { escapeIdentifier, validateLabel } from './identifiers.js'
import type { Neo4jResources } from './names.js'

export interface Neo4jAdmin {
  url: string
  user: string
  password: string
}

export interface Neo4jUserSecret {
  password: string
  /** Generated this run: an existing user gets it too (rotation). */
  isNew: boolean
}

export interface Neo4jProvisionOptions {
  /** Enterprise: the password of each app's user, by app name (the provisioner stores them). */
  passwords?: Record<string, Neo4jUserSecret>
}

/**
 * The enterprise role and user of an app. Named after its label (`App_notes`): unique,
 * plain characters, and never a built-in role (`reader`, `editor`, `publisher`, …),
 * which an app name alone could be.
 */
export function neo4jPrincipal(resources: Neo4jResources): { role: string; user: string } {
  return { role: resources.label, user: resources.label }
}

export function constraintName(label: string): string {
  return `${validateLabel(label)}_id_unique`
}

/** Community and enterprise: node ids unique per app label (IF NOT EXISTS: idempotent). */
export function constraintStatement(label: string): CypherQuery {
  return {
    text:
      `CREATE CONSTRAINT ${escapeIdentifier(constraintName(label))} IF NOT EXISTS ` +
      `FOR (n:${escapeIdentifier(validateLabel(label))}) REQUIRE n.id IS UNIQUE`,
    params: {},
  }
}

export function createDatabaseStatement(database: string): CypherQuery {
  return { text: `CREATE DATABASE ${escapeIdentifier(database)} IF NOT EXISTS WAIT`, params: {} }
}

export function createRoleStatement(role: string): CypherQuery {
  return { text: `CREATE ROLE ${escapeIdentifier(role)} IF NOT EXISTS`, params: {} }
}

/**
 * What the app's role may do: reach, read, write and name new labels/types/keys in its
 * own database; nothing on any other (privileges only ever name this database).
 */
export function grantStatements(database: string, role: string): CypherQuery[] {
  const db = escapeIdentifier(database)
  const r = escapeIdentifier(role)
  return [
    `GRANT ACCESS ON DATABASE ${db} TO ${r}`,
    `GRANT MATCH {*} ON GRAPH ${db} TO ${r}`,
    `GRANT WRITE ON GRAPH ${db} TO ${r}`,
    `GRANT NAME MANAGEMENT ON DATABASE ${db} TO ${r}`,
  ].map((text) => ({ text, params: {} }))
}

/**
 * What every user inherits from the built-in PUBLIC role and an app must not have: loading
 * external data (LOAD CSV: reading files and URLs from the server) and running procedures
 * and user-defined functions (APOC-style code, dbms.* procedures). AppGraph's statements use
 * neither. DENY wins over PUBLIC's GRANT; LOAD privileges exist from Neo4j 5.13.
 */
export function denyStatements(role: string): CypherQuery[] {
  const r = escapeIdentifier(role)
  return [
    `DENY LOAD ON ALL DATA TO ${r}`,
    `DENY EXECUTE PROCEDURE * ON DBMS TO ${r}`,
    `DENY EXECUTE BOOSTED PROCEDURE * ON DBMS TO ${r}`,
    `DENY EXECUTE USER DEFINED FUNCTION * ON DBMS TO ${r}`,
    `DENY EXECUTE BOOSTED USER DEFINED FUNCTION * ON DBMS TO ${r}`,
  ].map((text) => ({ text, params: {} }))
}

export function createUserStatement(user: string, database: string): CypherQuery {
  return {
    text:
      `CREATE USER ${escapeIdentifier(user)} IF NOT EXISTS SET PASSWORD $password CHANGE NOT REQUIRED ` +
      `SET HOME DATABASE ${escapeIdentifier(database)}`,
    params: {},
  }
}

export function setPasswordStatement(user: string): CypherQuery {
  return {
    text: `ALTER USER ${escapeIdentifier(user)} SET PASSWORD $password CHANGE NOT REQUIRED`,
    params: {},
  }
}

export function grantRoleStatement(role: string, user: string): CypherQuery {
  return { text: `GRANT ROLE ${escapeIdentifier(role)} TO ${escapeIdentifier(user)}`, params: {} }
}

async function names(
  driver: Driver,
  text: string,
  key: string,
  database?: string,
): Promise<Set<string>> {
  const { records } = await driver.executeQuery(text, {}, database ? { database } : {})
  return new Set(records.map((r) => r.get(key) as string))
}

async function exec(
  driver: Driver,
  query: CypherQuery,
  database: string,
  extra: Record<string, unknown> = {},
) {
  await driver.executeQuery(query.text, { ...query.params, ...extra }, { database })
}

async function ensureConstraint(
  driver: Driver,
  app: string,
  label: string,
  database?: string,
): Promise<Change[]> {
  const existing = await names(driver, 'SHOW CONSTRAINTS YIELD name', 'name', database)
  if (existing.has(constraintName(label))) return []
  const query = constraintStatement(label)
  await driver.executeQuery(query.text, query.params, database ? { database } : {})
  const where = database ? ` in ${database}` : ''
  return [
    {
      store: 'neo4j',
      app,
      action: 'create constraint',
      detail: `${constraintName(label)}${where}`,
    },
  ]
}

/**
 * Community: a uniqueness constraint on (label, id) per app in the one database.
 * Enterprise: per app a database, a role granted only on it (and denied LOAD CSV,
 * procedures and functions), a user with that role (home database set), and the same constraint inside the app's database. Only what is missing
 * is created; grants are re-applied each run (the server ignores repeats).
 */
export async function provisionNeo4j(
  admin: Neo4jAdmin,
  apps: ProvisionTarget[],
  mode: Neo4jMode,
  options: Neo4jProvisionOptions = {},
): Promise<Change[]> {
  if (mode !== 'community' && mode !== 'enterprise')
    throw new Error(`neo4j: unknown mode "${String(mode)}"`)
  const targets = apps.flatMap((t) =>
    t.resources.neo4j ? [{ app: t.name, resources: t.resources.neo4j }] : [],
  )
  // Before connecting: a label that is not an app's is refused, not half-provisioned.
  for (const { resources } of targets) validateLabel(resources.label)
  if (mode === 'enterprise') {
    const missing = targets.filter((t) => !options.passwords?.[t.app]).map((t) => t.app)
    if (missing.length > 0)
      throw new Error(`neo4j: enterprise mode needs a password for ${missing.join(', ')}`)
  }
  const driver = neo4j.driver(admin.url, neo4j.auth.basic(admin.user, admin.password))
  const changes: Change[] = []
  try {
    if (mode === 'community') {
      for (const { app, resources } of targets)
        changes.push(...(await ensureConstraint(driver, app, resources.label)))
      return changes
    }
    const databases = await names(driver, 'SHOW DATABASES YIELD name', 'name', 'system')
    const roles = await names(driver, 'SHOW ROLES YIELD role', 'role', 'system')
    const users = await names(driver, 'SHOW USERS YIELD user', 'user', 'system')
    for (const { app, resources } of targets) {
      const { database } = resources
      const { role, user } = neo4jPrincipal(resources)
      const secret = options.passwords?.[app] as Neo4jUserSecret
      if (!databases.has(database)) {
        await exec(driver, createDatabaseStatement(database), 'system')
        changes.push({ store: 'neo4j', app, action: 'create database', detail: database })
      }
      if (!roles.has(role)) {
        await exec(driver, createRoleStatement(role), 'system')
        changes.push({
          store: 'neo4j',
          app,
          action: 'create role',
          detail: `${role} on ${database}`,
        })
      }
      for (const privilege of [...grantStatements(database, role), ...denyStatements(role)])
        await exec(driver, privilege, 'system')
      if (!users.has(user)) {
        await exec(driver, createUserStatement(user, database), 'system', {
          password: secret.password,
        })
        changes.push({ store: 'neo4j', app, action: 'create user', detail: user })
      } else if (secret.isNew) {
        await exec(driver, setPasswordStatement(user), 'system', { password: secret.password })
        changes.push({ store: 'neo4j', app, action: 'set password', detail: user })
      }
      await exec(driver, grantRoleStatement(role, user), 'system')
      changes.push(...(await ensureConstraint(driver, app, resources.label, database)))
    }
    return changes
  } finally {
    await driver.close()
  }
}
