import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type AdminConfig, appEnvPath } from '../../provision/src/index.js'
import { readEnvFile } from '../src/env-file.js'
import { type PostgresServer, startPostgres } from '../src/postgres/test-server.js'
import { type PersistentRedis, type RedisServer, startRedis } from '../src/redis/test-server.js'

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

const HEALTH_PASSWORD = 'health-password-for-tests-0123456789'

/** The provisioner's settings for a Redis run as the stack runs it, with a secrets folder of its own. */
export async function persistentRedisAdmin(
  redis: PersistentRedis,
): Promise<AdminConfig & { secretsDir: string; redis: NonNullable<AdminConfig['redis']> }> {
  return {
    secretsDir: await mkdtemp(join(tmpdir(), 'flotilla-data-secrets-')),
    redis: {
      url: `redis://${redis.host}:${redis.port}`,
      adminPassword: redis.adminPassword,
      healthPassword: HEALTH_PASSWORD,
    },
  }
}

export interface Servers {
  postgres: PostgresServer
  redis: RedisServer
  admin: AdminConfig
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
        healthPassword: HEALTH_PASSWORD,
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

export async function appEnvOf(admin: AdminConfig, app: string): Promise<Record<string, string>> {
  const env = await readEnvFile(appEnvPath(admin.secretsDir, app))
  if (!env) throw new Error(`no credentials file for ${app}`)
  return env
}
