import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readEnvFile } from '../src/env-file.js'
import { type PostgresServer, startPostgres } from '../src/postgres/test-server.js'
import type { RedisAdmin } from '../src/redis/provision.js'
import { type RedisServer, startRedis } from '../src/redis/test-server.js'

export interface FixtureApp {
  name: string
  stores: Record<string, unknown>
  redisDb?: number
}

let nextPort = 4100

/** A repository root holding apps/<name>/package.json manifests, as the registry reads them. */
export async function makeRepo(apps: FixtureApp[], root?: string): Promise<string> {
  const dir = root ?? (await mkdtemp(join(tmpdir(), 'flotilla-data-repo-')))
  for (const app of apps) {
    await addApp(dir, app)
  }
  return dir
}

export async function addApp(root: string, app: FixtureApp, port = nextPort++): Promise<void> {
  await mkdir(join(root, 'apps', app.name), { recursive: true })
  const manifest = {
    name: `@flotilla/${app.name}`,
    version: '0.0.0',
    flotilla: {
      tier: 'base',
      route: `/${app.name}/`,
      port,
      stores: app.stores,
      resources: { memory: '64M', cpus: '0.25' },
      profile: null,
      ...(app.redisDb === undefined ? {} : { redisDb: app.redisDb }),
    },
  }
  await writeFile(join(root, 'apps', app.name, 'package.json'), JSON.stringify(manifest, null, 2))
}

/**
 * The provisioner's admin settings for the servers startOwnServers starts, in the shape of
 * @flotilla/provision's AdminConfig (which this package cannot import: provision depends on
 * it). A test adds the other stores' settings before it provisions.
 */
export interface ServersAdmin {
  /** Where the provisioner writes each app's credentials file: `<secretsDir>/apps/<app>.env`. */
  secretsDir: string
  postgres: { url: string }
  redis: RedisAdmin
  [store: string]: unknown
}

export interface Servers {
  postgres: PostgresServer
  redis: RedisServer
  admin: ServersAdmin
  stop(): Promise<void>
}

/**
 * Fresh PostgreSQL and Redis servers of our own, even when TEST_*_URL name shared ones: the
 * provisioner switches Redis's `default` user off and revokes PUBLIC from `postgres`, which
 * would break every other test sharing the server.
 */
export async function startOwnServers(): Promise<Servers> {
  const [postgres, redis] = await Promise.all([startPostgres({ env: {} }), startRedis({ env: {} })])
  const secretsDir = await mkdtemp(join(tmpdir(), 'flotilla-data-secrets-'))
  return {
    postgres,
    redis,
    admin: {
      secretsDir,
      postgres: { url: postgres.url },
      redis: {
        url: redis.url,
        adminPassword: 'admin-password-for-tests-0123456789',
        healthPassword: 'health-password-for-tests-0123456789',
      },
    },
    async stop() {
      await Promise.all([
        postgres.stop(),
        redis.stop(),
        rm(secretsDir, { recursive: true, force: true }),
      ])
    },
  }
}

/** The credentials file the provisioner wrote for `app`. */
export async function appEnvOf(
  admin: { secretsDir: string },
  app: string,
): Promise<Record<string, string>> {
  const env = await readEnvFile(join(admin.secretsDir, 'apps', `${app}.env`))
  if (!env) throw new Error(`no credentials file for ${app}`)
  return env
}
