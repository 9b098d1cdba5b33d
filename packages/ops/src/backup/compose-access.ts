import { parseEnv } from 'node:util'
import type { RunTool } from '@flotilla/data/backup-types'
import type { PgTools } from '@flotilla/data/postgres/backup'
import type { App } from '@flotilla/stack'
import { type Runner, runChecked } from '../run.js'
import type { AppStoreAccess } from './app-backup.js'

const runTool =
  (runner: Runner): RunTool =>
  (argv, options) =>
    runChecked(runner, argv, options)

/** pg_dump, pg_restore and psql of this machine: their major version must be at least the server's. */
export const localPgTools = (runner: Runner): PgTools => ({
  run: runTool(runner),
  command: (tool, args, databaseUrl) => [
    tool,
    ...args,
    ...(databaseUrl ? ['-d', databaseUrl] : []),
  ],
})

const URL_VARIABLES = ['DATABASE_URL', 'REDIS_URL', 'CHROMA_URL', 'QDRANT_URL', 'NEO4J_URL']

/**
 * Reads a file from the secrets volumes: a throwaway container with the provision one-shot's
 * volumes (`--volumes-from` takes them from its exited container) and image, root, no
 * network. Not `compose run provision`: Compose v2 first rebuilds every tier the image names
 * (`additional_contexts: service:…`) and prints that build on stdout, into the secret read.
 */
async function readSecret(runner: Runner, compose: string[], path: string): Promise<string> {
  const [id] = (await runChecked(runner, [...compose, 'ps', '-a', '-q', 'provision']))
    .split('\n')
    .filter(Boolean)
  if (!id) throw new Error('provision has not run in this stack (docker compose up -d)')
  const image = (
    await runChecked(runner, ['docker', 'inspect', '--format', '{{.Image}}', id])
  ).trim()
  return runChecked(runner, [
    'docker',
    'run',
    '--rm',
    '--network',
    'none',
    '--user',
    '0:0',
    '--volumes-from',
    id,
    '--entrypoint',
    'cat',
    image,
    path,
  ])
}

/** The container's address on the stack's network: the host reaches bridge networks directly (Linux). */
async function serviceAddress(runner: Runner, compose: string[], service: string): Promise<string> {
  const id = (await runChecked(runner, [...compose, 'ps', '-q', service])).trim()
  if (!id) throw new Error(`${service} is not running (docker compose up -d ${service})`)
  const ips = (
    await runChecked(runner, [
      'docker',
      'inspect',
      '--format',
      '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}',
      id,
    ])
  ).trim()
  const ip = ips.split(' ').find(Boolean)
  if (!ip) throw new Error(`${service} has no network address`)
  return ip
}

/**
 * Store access for an app of a running compose stack, from the host: its credentials file
 * out of the app_secrets volume, service hostnames replaced by container addresses, pg tools
 * run inside the postgres container (same major version as the server).
 */
export async function composeAccess(
  runner: Runner,
  compose: string[],
  app: App,
): Promise<AppStoreAccess> {
  const env: Record<string, string | undefined> = parseEnv(
    await readSecret(runner, compose, `/run/flotilla/secrets/apps/${app.name}.env`),
  )
  for (const name of URL_VARIABLES) {
    const value = env[name]
    if (!value) continue
    const url = new URL(value)
    url.hostname = await serviceAddress(runner, compose, url.hostname)
    env[name] = url.href
  }
  const pgTools: PgTools = {
    run: runTool(runner),
    command: (tool, args, databaseUrl, password) => {
      const local = databaseUrl ? new URL(databaseUrl) : undefined
      if (local) local.hostname = '127.0.0.1'
      return [
        ...compose,
        'exec',
        '-T',
        ...(password ? ['-e', `PGPASSWORD=${password}`] : []),
        'postgres',
        tool,
        ...args,
        ...(local ? ['-d', local.href] : []),
      ]
    },
  }
  const access: AppStoreAccess = { app, env, pgTools }
  if (app.redisDb !== null && env.REDIS_URL) {
    const admin = new URL(env.REDIS_URL)
    admin.username = 'admin'
    admin.password = (
      await readSecret(runner, compose, '/run/flotilla/admin/redis_admin_password')
    ).trim()
    access.redisRestoreUrl = admin.href
  }
  if (env.QDRANT_URL) {
    access.qdrantApiKey = (
      await readSecret(runner, compose, '/run/flotilla/admin/qdrant_api_key')
    ).trim()
  }
  return access
}

/**
 * Store access from environment variables (tests, or a host where the stores are reachable):
 * the credentials file at <SECRETS_DIR>/apps/<app>.env, REDIS_ADMIN_URL for RESTORE.
 */
export function envAccess(
  runner: Runner,
  app: App,
  env: Record<string, string | undefined>,
  adminEnv: NodeJS.ProcessEnv,
): AppStoreAccess {
  const access: AppStoreAccess = {
    app,
    env,
    pgTools: localPgTools(runner),
  }
  if (adminEnv.REDIS_ADMIN_URL && app.redisDb !== null) {
    const admin = new URL(adminEnv.REDIS_ADMIN_URL)
    admin.pathname = `/${app.redisDb}`
    access.redisRestoreUrl = admin.href
  }
  if (adminEnv.QDRANT_ADMIN_API_KEY) access.qdrantApiKey = adminEnv.QDRANT_ADMIN_API_KEY
  return access
}
