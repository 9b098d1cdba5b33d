import { loadConfig } from '@flotilla/service'
import { guardConfigSchema } from './config.js'
import { buildGuard } from './guard.js'

export interface LocalGuard {
  url: string
  close(): Promise<void>
}

/** A guard on a random loopback port in front of a Chroma: for tests and local tools. */
export async function startLocalGuard(options: {
  upstreamUrl: string
  secret: string
  adminToken: string
}): Promise<LocalGuard> {
  const config = loadConfig(guardConfigSchema, {
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    CHROMA_UPSTREAM_URL: options.upstreamUrl,
    CHROMA_GUARD_SECRET: options.secret,
    CHROMA_ADMIN_TOKEN: options.adminToken,
  })
  const service = await buildGuard(config)
  const url = await service.listen({ host: config.HOST, port: config.PORT })
  return { url, close: () => service.close() }
}
