import type { App } from '@flotilla/stack'

export interface RedisResources {
  user: string
  /** ioredis `keyPrefix`; equal to the ACL key pattern without the `~` and `*`. */
  keyPrefix: string
  /** ACL key pattern, e.g. `~notes:*`. */
  keyPattern: string
  /** ACL pub/sub channel pattern, e.g. `&notes:*`. */
  channelPattern: string
  db: number
}

/** The app's ACL user and the key and channel prefix it confines the app to. */
export function redisNames(app: App): RedisResources | undefined {
  // The registry resolves redisDb exactly when the app declares Redis.
  if (app.redisDb === null) return undefined
  const { name } = app
  return {
    user: name,
    keyPrefix: `${name}:`,
    keyPattern: `~${name}:*`,
    channelPattern: `&${name}:*`,
    db: app.redisDb,
  }
}
