import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { RegistryError, STORE_NAMES, type StoreName } from '@flotilla/stack'
import { AdminConfigError, adminConfigFromEnv } from './admin-config.js'
import { ProvisionError, provisionRepository } from './provision.js'

const HELP = `Usage: scripts/provision [--root <dir>] [--rotate <app>]... [--skip-store <store>]... [--help]

Applies the app registry (apps/*/package.json "flotilla") to the running stores: a login
role and database per app in PostgreSQL, an ACL user per app in Redis, a tenant per app in
Chroma (through chroma-guard), and writes each app's credentials to
<SECRETS_DIR>/apps/<app>.env (mode 0600). Idempotent: a second run changes nothing.
Passwords are kept across runs; --rotate <app> replaces that app's passwords.

Options:
  --root <dir>      repository root holding apps/ (default: current directory)
  --rotate <app>    new passwords for this app (repeatable)
  --skip-store <s>  a store this stack runs without (qdrant, neo4j, …; repeatable, or
                    PROVISION_SKIP_STORES=qdrant,neo4j): its apps get no credentials for it
  -h, --help        this text

Environment (a secret NAME may instead be read from the file NAME_FILE names):
  SECRETS_DIR              where credential files go (default: ./secrets)
  POSTGRES_ADMIN_URL       superuser URL             POSTGRES_APP_HOST   host:port apps use
  POSTGRES_CONNECTION_LIMIT  per app role (default 20)
  REDIS_ADMIN_URL          redis://[user:pass@]host:port (credentials bootstrap the admin user)
  REDIS_ADMIN_USER         (default admin)  REDIS_ADMIN_PASSWORD  REDIS_HEALTH_PASSWORD
  REDIS_APP_HOST           host:port apps use
  CHROMA_GUARD_URL         chroma-guard URL   CHROMA_ADMIN_TOKEN  CHROMA_GUARD_SECRET  CHROMA_APP_URL
  QDRANT_ADMIN_URL  QDRANT_API_KEY  QDRANT_APP_URL
  QDRANT_TOKEN_LIFETIME_DAYS  apps' token lifetime (default 30)
  QDRANT_TOKEN_RENEW_DAYS     renewed when fewer days are left (default 10)
  NEO4J_ADMIN_URL  NEO4J_ADMIN_USER  NEO4J_ADMIN_PASSWORD  NEO4J_MODE (community|enterprise)
  NEO4J_GUARD_URL  NEO4J_GUARD_SECRET   community: neo4j-guard as apps reach it, its token secret
  NEO4J_APP_URL                         enterprise: the Bolt URL apps use
  EMBEDDER_CALLER_SECRET   given to the embedder; every other app gets EMBEDDER_TOKEN from it
A store whose URL is unset is skipped; an app that needs it is then an error.
`

async function main(): Promise<number> {
  let values: { root?: string; rotate?: string[]; 'skip-store'?: string[]; help?: boolean }
  try {
    ;({ values } = parseArgs({
      options: {
        root: { type: 'string' },
        rotate: { type: 'string', multiple: true },
        'skip-store': { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    }))
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${HELP}`)
    return 2
  }
  if (values.help) {
    process.stdout.write(HELP)
    return 0
  }
  try {
    const admin = adminConfigFromEnv(process.env)
    const root = resolve(values.root ?? '.')
    const skipStores = [
      ...(values['skip-store'] ?? []),
      ...(process.env.PROVISION_SKIP_STORES ?? '').split(',').filter(Boolean),
    ]
    const unknown = skipStores.filter(
      (store) => !(STORE_NAMES as readonly string[]).includes(store),
    )
    if (unknown.length > 0) {
      process.stderr.write(`provision: unknown store(s) to skip: ${unknown.join(', ')}\n`)
      return 2
    }
    const changes = await provisionRepository(root, admin, {
      rotate: values.rotate ?? [],
      skipStores: skipStores as StoreName[],
      log: (line) => process.stdout.write(`provision: ${line}\n`),
    })
    for (const change of changes) {
      process.stdout.write(`  ${change.store} ${change.app}: ${change.action} — ${change.detail}\n`)
    }
    process.stdout.write(`provision: done, ${changes.length} change(s)\n`)
    return 0
  } catch (error) {
    const known =
      error instanceof RegistryError ||
      error instanceof AdminConfigError ||
      error instanceof ProvisionError
    process.stderr.write(
      `provision: ${known ? (error as Error).message : (error as Error).stack}\n`,
    )
    return 1
  }
}

process.exitCode = await main()
