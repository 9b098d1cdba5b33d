import { type LocalService, startLocalService } from '@flotilla/service'
import { guardConfigSchema } from './config.js'
import { buildGuard } from './guard.js'

export type LocalGuard = LocalService

/** A guard on a random loopback port in front of a Neo4j: for tests and local tools. */
export function startLocalGuard(options: {
  boltUrl: string
  user?: string
  password: string
  secret: string
  bodyLimitBytes?: number
}): Promise<LocalGuard> {
  return startLocalService(guardConfigSchema, buildGuard, {
    NEO4J_URL: options.boltUrl,
    NEO4J_USER: options.user,
    NEO4J_PASSWORD: options.password,
    NEO4J_GUARD_SECRET: options.secret,
    BODY_LIMIT_BYTES: options.bodyLimitBytes?.toString(),
  })
}
