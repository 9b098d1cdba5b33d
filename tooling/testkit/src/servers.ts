/** Where a server came from: a URL in the environment, the machine's binaries, or Docker. */
export type ServerSource = 'env' | 'binaries' | 'docker'

export type Backend = Exclude<ServerSource, 'env'>

export interface PostgresServer {
  /** Superuser URL, e.g. postgres://postgres:secret@127.0.0.1:54321/postgres */
  url: string
  host: string
  port: number
  user: string
  password: string
  source: ServerSource
  /** Data dir, log and socket of a server started from binaries; deleted by stop() unless persistent. */
  tempDir?: string
  /** Stops what was started (a no-op for a server from the environment). Idempotent. */
  stop(): Promise<void>
}

export interface RedisServer {
  /** e.g. redis://:secret@127.0.0.1:63790 (the default user needs the password) */
  url: string
  host: string
  port: number
  password: string
  source: ServerSource
  /** Config and log of a server started from binaries; deleted by stop(). */
  tempDir?: string
  stop(): Promise<void>
}

export interface StartOptions {
  /** Where TEST_POSTGRES_URL / TEST_REDIS_URL are read; defaults to process.env. */
  env?: NodeJS.ProcessEnv
  /** Start a fresh server with this backend even if the environment names a URL. */
  backend?: Backend
}
