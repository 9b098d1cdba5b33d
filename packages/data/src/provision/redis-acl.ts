import { createHash } from 'node:crypto'
import type { RedisResources } from '@flotilla/stack'

export const REDIS_ADMIN_USER = 'admin'
export const REDIS_HEALTH_USER = 'health'

/** Redis stores SHA-256 of a password; rules carry the hash so the plaintext never travels. */
export function passwordHash(password: string): string {
  return `#${createHash('sha256').update(password).digest('hex')}`
}

/**
 * An app's ACL rules. `+@all -@dangerous` keeps every data command and drops the admin
 * ones (FLUSHALL, FLUSHDB, KEYS, CONFIG, INFO, DEBUG, ACL, CLIENT KILL …); `-select` then
 * `+select|<db>` lets ioredis's `db` option select the app's own index and nothing else
 * (first-argument rules exist since Redis 7.0); `-move` and `-function` as the design asks;
 * `-pubsub` because PUBSUB CHANNELS/NUMSUB list every app's channels; SCRIPT FLUSH/KILL act on
 * every user's scripts. `reset` first makes the rule set complete: the result never depends
 * on what the user had before.
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
    '-select',
    '-move',
    '-function',
    '-pubsub',
    '-script|flush',
    '-script|kill',
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

/** `reset` leaves the user off, without passwords, keys, channels or commands. */
export const DEFAULT_USER_RULES = ['reset']
