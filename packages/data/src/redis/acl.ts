import { createHash } from 'node:crypto'
import type { RedisResources } from './names.js'

export const REDIS_ADMIN_USER = 'admin'
export const REDIS_HEALTH_USER = 'health'

/** Redis stores SHA-256 of a password; rules carry the hash so the plaintext never travels. */
export function passwordHash(password: string): string {
  return `#${createHash('sha256').update(password).digest('hex')}`
}

/**
 * An app's ACL rules. `+@all -@dangerous` keeps every data command and drops the admin
 * ones (FLUSHALL, FLUSHDB, KEYS, SORT, CONFIG, INFO, DEBUG, MONITOR, ACL, CLIENT PAUSE/KILL …).
 * Redis runs one command at a time for everybody, so what an app runs is a pause for every
 * other app: `-@scripting` because a script is code that runs to its end while everyone waits
 * (a busy EVAL stalled the others for seconds, an endless one blocks them until an admin steps
 * in); the category is EVAL*, FCALL*, SCRIPT and FUNCTION, whose FLUSH/KILL also act on every
 * user's scripts. SRANDMEMBER, HRANDFIELD and ZRANDMEMBER go too: with a negative count they
 * loop that many times whatever the key holds (`SRANDMEMBER k -1000000000000`). `-select` then
 * `+select|<db>` lets ioredis's `db` option select the app's own index and nothing else
 * (first-argument rules exist since Redis 7.0); `-move` as the design asks; `-pubsub` because
 * PUBSUB CHANNELS/NUMSUB list every app's channels. `reset` first makes the rule set complete:
 * the result never depends on what the user had before.
 */
export function appAclRules(redis: RedisResources, password: string): string[] {
  return [
    'reset',
    'on',
    passwordHash(password),
    redis.keyPattern,
    redis.channelPattern,
    '+@all',
    '-@dangerous',
    '-@scripting',
    '-srandmember',
    '-hrandfield',
    '-zrandmember',
    '-select',
    '-move',
    '-pubsub',
    `+select|${redis.db}`,
  ]
}

export function adminAclRules(password: string): string[] {
  return ['reset', 'on', passwordHash(password), '~*', '&*', '+@all']
}

/** For container healthchecks: PING and nothing else. */
export function healthAclRules(password: string): string[] {
  return ['reset', 'on', passwordHash(password), '+ping']
}

/**
 * `reset` leaves the user off and without passwords (not even `nopass`): no connection can
 * authenticate as it, and a new connection is not logged in. It still holds every permission
 * because Redis replays the append-only file as `default`, and EXEC re-checks the queued
 * commands against that user's rules (redis/redis#14541, fixed upstream late in 2025, not in
 * the 7.x we run): with no permissions every MULTI/EXEC block in the file is refused at start and
 * its writes are silently lost. infra/secrets/init.sh writes the same line into the aclfile,
 * which is what Redis replays with on its next start.
 */
export const DEFAULT_USER_RULES = ['reset', '~*', '&*', '+@all']
