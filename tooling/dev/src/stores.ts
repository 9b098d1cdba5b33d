import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseEnv } from 'node:util'
import { startLocalGuard as startChromaGuard } from '@flotilla/chroma-guard'
import { startPersistentNeo4j } from '@flotilla/data/neo4j/test-server'
import { startPersistentPostgres } from '@flotilla/data/postgres/test-server'
import { stackRedisFiles, startPersistentRedis } from '@flotilla/data/redis/test-server'
import { startLocalGuard as startNeo4jGuard } from '@flotilla/neo4j-guard'
import type { StoreName } from '@flotilla/stack'

/**
 * The admin secrets of the local stores, generated on the first run and kept beside their
 * data (a PostgreSQL or Neo4j keeps the password it was created with): what the stack's
 * `secrets` service generates into its admin volume.
 */
const ADMIN_SECRETS = [
  'POSTGRES_PASSWORD',
  'REDIS_HEALTH_PASSWORD',
  'NEO4J_PASSWORD',
  'NEO4J_GUARD_SECRET',
  'CHROMA_GUARD_SECRET',
  'CHROMA_ADMIN_TOKEN',
  'EMBEDDER_CALLER_SECRET',
] as const
type AdminSecrets = Record<(typeof ADMIN_SECRETS)[number], string>

function adminSecrets(dataDir: string): AdminSecrets {
  const file = join(dataDir, 'admin.env')
  const kept = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {}
  const secrets = Object.fromEntries(
    ADMIN_SECRETS.map((name) => [name, kept[name] || randomBytes(24).toString('hex')]),
  ) as AdminSecrets
  const text = ADMIN_SECRETS.map((name) => `${name}=${secrets[name]}\n`).join('')
  writeFileSync(
    file,
    `# npm run dev: admin secrets of the stores in this folder; never commit\n${text}`,
    {
      mode: 0o600,
    },
  )
  return secrets
}

export interface Stores {
  /** The provisioner's environment, as the stack's `provision` service gets it. */
  provisionEnv: Record<string, string>
  /** Stores not running here: the provisioner skips them, their apps see them down. */
  skipped: Map<StoreName, string>
  /** One line per store: where it listens and where its data is, or why it is not running. */
  lines: string[]
  stop(): Promise<void>
}

interface Started {
  env: Record<string, string>
  line: string
  stop(): Promise<void>
}

/**
 * Starts the stores the tests use, from their test servers, with their data in `dataDir`:
 * PostgreSQL, Redis (the stack's redis.conf and `default` user) and Neo4j Community with its
 * guard. Chroma and Qdrant run only where `CHROMA_URL` / `QDRANT_URL` name a server (the
 * test server runs Chroma in Docker only, and there is no Qdrant server to start here). A store
 * that fails to start, or that `skip` names, is skipped with its reason.
 */
export async function startStores(
  dataDir: string,
  options: { skip: ReadonlySet<StoreName>; env: NodeJS.ProcessEnv },
): Promise<Stores> {
  const secrets = adminSecrets(dataDir)
  const where = (store: string) => join(dataDir, store)

  const starters: Record<StoreName, () => Promise<Started>> = {
    async postgres() {
      const server = await startPersistentPostgres(where('postgres'), secrets.POSTGRES_PASSWORD)
      return {
        env: { POSTGRES_ADMIN_URL: server.url },
        line: `${server.host}:${server.port}, data in ${where('postgres')}`,
        stop: server.stop,
      }
    },
    async redis() {
      const { config, defaultUserLine } = stackRedisFiles()
      const server = await startPersistentRedis({
        config,
        acl: [defaultUserLine],
        dir: where('redis'),
      })
      return {
        env: {
          REDIS_ADMIN_URL: server.adminUrl,
          REDIS_ADMIN_USER: server.adminUser,
          REDIS_ADMIN_PASSWORD: server.adminPassword,
          REDIS_HEALTH_PASSWORD: secrets.REDIS_HEALTH_PASSWORD,
        },
        line: `${server.host}:${server.port}, data in ${server.dir}`,
        stop: server.stop,
      }
    },
    async neo4j() {
      const server = await startPersistentNeo4j(where('neo4j'), secrets.NEO4J_PASSWORD)
      try {
        const guard = await startNeo4jGuard({
          boltUrl: server.url,
          user: server.user,
          password: server.password,
          secret: secrets.NEO4J_GUARD_SECRET,
        })
        return {
          env: {
            NEO4J_ADMIN_URL: server.url,
            NEO4J_ADMIN_USER: server.user,
            NEO4J_ADMIN_PASSWORD: server.password,
            NEO4J_MODE: 'community',
            NEO4J_GUARD_URL: guard.url,
            NEO4J_GUARD_SECRET: secrets.NEO4J_GUARD_SECRET,
          },
          line: `${server.url} behind neo4j-guard ${guard.url}, data in ${where('neo4j')}`,
          stop: async () => {
            await guard.close()
            await server.stop()
          },
        }
      } catch (error) {
        await server.stop()
        throw error
      }
    },
    async chroma() {
      const upstream = options.env.CHROMA_URL
      if (!upstream) {
        throw new Error(
          'the Chroma test server runs only in Docker; CHROMA_URL=<a Chroma> to use one',
        )
      }
      const guard = await startChromaGuard({
        upstreamUrl: upstream,
        secret: secrets.CHROMA_GUARD_SECRET,
        adminToken: secrets.CHROMA_ADMIN_TOKEN,
      })
      return {
        env: {
          CHROMA_GUARD_URL: guard.url,
          CHROMA_ADMIN_TOKEN: secrets.CHROMA_ADMIN_TOKEN,
          CHROMA_GUARD_SECRET: secrets.CHROMA_GUARD_SECRET,
        },
        line: `${upstream} behind chroma-guard ${guard.url}`,
        stop: guard.close,
      }
    },
    async qdrant() {
      const url = options.env.QDRANT_URL
      if (!url) {
        throw new Error('no Qdrant server to start here; QDRANT_URL and QDRANT_API_KEY to use one')
      }
      return {
        env: { QDRANT_ADMIN_URL: url, QDRANT_API_KEY: options.env.QDRANT_API_KEY ?? '' },
        line: url,
        stop: async () => {},
      }
    },
  }

  const names = Object.keys(starters) as StoreName[]
  const outcomes = await Promise.allSettled(
    names.map((store) =>
      options.skip.has(store) ? Promise.reject(new Error('skipped (--skip)')) : starters[store](),
    ),
  )
  const provisionEnv: Record<string, string> = {
    SECRETS_DIR: join(dataDir, 'secrets'),
    EMBEDDER_CALLER_SECRET: secrets.EMBEDDER_CALLER_SECRET,
  }
  const skipped = new Map<StoreName, string>()
  const lines: string[] = []
  const running: Started[] = []
  outcomes.forEach((outcome, index) => {
    const store = names[index] as StoreName
    if (outcome.status === 'fulfilled') {
      running.push(outcome.value)
      Object.assign(provisionEnv, outcome.value.env)
      lines.push(`${store}: ${outcome.value.line}`)
    } else {
      const reason = (outcome.reason as Error).message.split('\n')[0] ?? ''
      skipped.set(store, reason)
      lines.push(`${store}: not running — ${reason}`)
    }
  })
  provisionEnv.PROVISION_SKIP_STORES = [...skipped.keys()].join(',')
  return {
    provisionEnv,
    skipped,
    lines,
    async stop() {
      await Promise.allSettled(running.map((store) => store.stop()))
    },
  }
}
