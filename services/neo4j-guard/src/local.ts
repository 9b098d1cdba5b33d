import { loadConfig } from '@flotilla/service'
import { guardConfigSchema } from './config.js'
import { buildGuard } from './guard.js'

export interface LocalGuard {
  url: string
  close(): Promise<void>
}

/** A guard on a random loopback port in front of a Neo4j: for tests and local tools. */
export async function startLocalGuard(options: {
  boltUrl: string
  user?: string
  password: string
  secret: string
  bodyLimitBytes?: number
}): Promise<LocalGuard> {
  const config = loadConfig(guardConfigSchema, {
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    NEO4J_URL: options.boltUrl,
    NEO4J_USER: options.user,
    NEO4J_PASSWORD: options.password,
    NEO4J_GUARD_SECRET: options.secret,
    BODY_LIMIT_BYTES: options.bodyLimitBytes?.toString(),
  })
  const service = await buildGuard(config)
  const url = await service.listen({ host: config.HOST, port: config.PORT })
  return { url, close: () => service.close() }
}
