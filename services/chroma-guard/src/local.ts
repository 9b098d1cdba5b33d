import { type LocalService, startLocalService } from '@flotilla/service'
import { guardConfigSchema } from './config.js'
import { buildGuard } from './guard.js'

export type LocalGuard = LocalService

/** A guard on a random loopback port in front of a Chroma: for tests and local tools. */
export function startLocalGuard(options: {
  upstreamUrl: string
  secret: string
  adminToken: string
}): Promise<LocalGuard> {
  return startLocalService(guardConfigSchema, buildGuard, {
    CHROMA_UPSTREAM_URL: options.upstreamUrl,
    CHROMA_GUARD_SECRET: options.secret,
    CHROMA_ADMIN_TOKEN: options.adminToken,
  })
}
