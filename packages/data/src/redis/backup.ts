import { once } from 'node:events'
import { createReadStream, createWriteStream } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Redis } from 'ioredis'
import { type BackupAccess, credential, type StoreBackup } from '../backup-types.js'

export interface RedisBackupAccess extends BackupAccess {
  /** A Redis URL allowed to RESTORE (the admin user), selecting the app's DB index. */
  redisRestoreUrl?: string
}

const FILE = 'redis.jsonl'

interface KeyRecord {
  key: string
  /** Milliseconds left, 0 when the key does not expire. */
  ttl: number
  dump: string
}

function connect(url: string): Redis {
  const client = new Redis(url, {
    lazyConnect: true,
    enableReadyCheck: false,
    maxRetriesPerRequest: 1,
  })
  client.on('error', () => {})
  return client
}

/**
 * Every key under the app's prefix, as DUMP + PTTL lines (JSON Lines). Runs with the app's
 * own ACL user: SCAN and DUMP are allowed to it, and its prefix is all it can read.
 */
export async function dumpRedis(url: string, prefix: string, file: string): Promise<number> {
  const client = connect(url)
  await client.connect()
  const out = createWriteStream(file)
  // SCAN may return a key twice; each is written once.
  const seen = new Set<string>()
  try {
    let cursor = '0'
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
      cursor = next
      for (const key of keys.sort()) {
        if (seen.has(key)) continue
        seen.add(key)
        const [dump, ttl] = await Promise.all([client.dumpBuffer(key), client.pttl(key)])
        if (dump === null) continue // expired between SCAN and DUMP
        const record: KeyRecord = { key, ttl: Math.max(ttl, 0), dump: dump.toString('base64') }
        if (!out.write(`${JSON.stringify(record)}\n`)) await once(out, 'drain')
      }
    } while (cursor !== '0')
  } finally {
    out.end()
    await once(out, 'close')
    client.disconnect()
  }
  return seen.size
}

/**
 * Puts every dumped key back (RESTORE … REPLACE) and deletes keys under the prefix that the
 * backup does not have. RESTORE is @dangerous, so this needs a Redis user allowed to run it
 * (the admin user); `url` must select the app's DB index.
 */
export async function restoreRedis(url: string, prefix: string, file: string): Promise<number> {
  const client = connect(url)
  await client.connect()
  try {
    const kept = new Set<string>()
    const lines = createInterface({
      input: createReadStream(file),
      crlfDelay: Number.POSITIVE_INFINITY,
    })
    for await (const line of lines) {
      if (!line) continue
      const record = JSON.parse(line) as KeyRecord
      await client.restore(record.key, record.ttl, Buffer.from(record.dump, 'base64'), 'REPLACE')
      kept.add(record.key)
    }
    let cursor = '0'
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
      cursor = next
      const extra = keys.filter((key) => !kept.has(key))
      if (extra.length > 0) await client.del(...extra)
    } while (cursor !== '0')
    return kept.size
  } finally {
    client.disconnect()
  }
}

/** Keys under the prefix (SCAN; never KEYS, which the app's ACL refuses). */
export async function countKeys(url: string, prefix: string): Promise<number> {
  const client = connect(url)
  await client.connect()
  try {
    const keys = new Set<string>()
    let cursor = '0'
    do {
      const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
      cursor = next
      for (const key of batch) keys.add(key)
    } while (cursor !== '0')
    return keys.size
  } finally {
    client.disconnect()
  }
}

const keyPrefix = (access: BackupAccess) => credential(access, 'REDIS_KEY_PREFIX', 'redis')

/** The keys under the app's prefix: read with its own ACL user, restored by the admin user. */
export const redisBackup: StoreBackup<RedisBackupAccess, number> = {
  count: (access) => countKeys(credential(access, 'REDIS_URL', 'redis'), keyPrefix(access)),
  async backup(access, dir, log) {
    const prefix = keyPrefix(access)
    const keys = await dumpRedis(credential(access, 'REDIS_URL', 'redis'), prefix, join(dir, FILE))
    log(`redis: ${keys} key(s) under ${prefix} → ${FILE}`)
    return [FILE]
  },
  async prepareRestore(access, dir, files) {
    if (!files.includes(FILE)) return undefined
    const url = access.redisRestoreUrl
    if (!url) {
      throw new Error('redis: restoring needs REDIS_ADMIN_URL (RESTORE is refused to app users)')
    }
    const prefix = keyPrefix(access)
    return async (log) => {
      const keys = await restoreRedis(url, prefix, join(dir, FILE))
      log(`redis: ${keys} key(s) restored`)
    }
  },
}
