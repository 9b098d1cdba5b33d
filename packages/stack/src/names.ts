/**
 * App names become Postgres databases and roles, Redis users and key prefixes, Qdrant
 * collection prefixes, Chroma tenants, Neo4j databases and labels, compose services and
 * hostnames. One rule keeps every one of those valid without quoting surprises.
 */
export const APP_NAME_PATTERN = /^[a-z][a-z0-9_]{1,30}$/

/**
 * Names that collide with a shared service, a built-in database/role/user, or a user the
 * provisioner creates. `status` is a reference app, so it is deliberately absent.
 */
export const RESERVED_APP_NAMES: ReadonlyMap<string, string> = new Map([
  // compose services and hostnames on the shared network
  ['nginx', 'the nginx service'],
  ['postgres', 'the PostgreSQL service, its superuser and maintenance database'],
  ['redis', 'the Redis service'],
  ['qdrant', 'the Qdrant service'],
  ['chroma', 'the ChromaDB service'],
  ['chroma_guard', 'the Chroma guard service'],
  ['neo4j', 'the Neo4j service and its default database'],
  ['provision', 'the provisioner service'],
  ['provisioner', 'the provisioner service'],
  ['backup', 'the backup service'],
  ['secrets', 'the secrets init service'],
  // PostgreSQL built-ins and role keywords
  ['template0', 'a PostgreSQL template database'],
  ['template1', 'a PostgreSQL template database'],
  ['public', 'the PostgreSQL PUBLIC pseudo-role and schema'],
  ['none', 'a PostgreSQL role keyword'],
  ['all', 'a PostgreSQL role keyword'],
  ['current_user', 'a PostgreSQL role keyword'],
  ['current_role', 'a PostgreSQL role keyword'],
  ['session_user', 'a PostgreSQL role keyword'],
  // Redis ACL users that are not apps
  ['default', 'the Redis default user'],
  ['admin', 'the provisioner admin user'],
  ['root', 'a conventional superuser name'],
  ['health', 'the health-check user'],
  ['healthcheck', 'the health-check user'],
  // Neo4j and Chroma built-ins
  ['system', 'the Neo4j system database'],
  ['default_tenant', 'the ChromaDB default tenant'],
  ['default_database', 'the ChromaDB default database'],
])

/** Problems with a proposed app name; empty when the name is usable. */
export function validateAppName(name: string): string[] {
  if (!APP_NAME_PATTERN.test(name)) {
    return [
      `"${name}" must match ${APP_NAME_PATTERN.source}: 2-31 characters, lowercase letters, digits and "_", starting with a letter`,
    ]
  }
  const problems: string[] = []
  // `__` separates app from collection in Qdrant names (`app__coll`); allowing it in app
  // names would let `a__b` + `c` and `a` + `b__c` derive the same collection.
  if (name.includes('__')) problems.push(`"${name}" must not contain "__"`)
  // Neo4j database names map "_" to "-" and may not end with "-".
  if (name.endsWith('_')) problems.push(`"${name}" must not end with "_"`)
  if (name.startsWith('pg_')) {
    problems.push(`"${name}" must not start with "pg_" (reserved by PostgreSQL for roles)`)
  }
  const reservedFor = RESERVED_APP_NAMES.get(name)
  if (reservedFor) problems.push(`"${name}" is reserved (${reservedFor})`)
  return problems
}

/** `@flotilla/notes` → `notes`; an unscoped package name is used as is. */
export function appNameFromPackageName(packageName: string): string {
  const slash = packageName.indexOf('/')
  return packageName.startsWith('@') && slash > 0 ? packageName.slice(slash + 1) : packageName
}
