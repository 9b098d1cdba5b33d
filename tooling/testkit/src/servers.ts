/** Where a server came from: a URL in the environment, the machine's binaries, or Docker. */
export type ServerSource = 'env' | 'binaries' | 'docker'

export type Backend = Exclude<ServerSource, 'env'>

export interface StartOptions {
  /** Where the variable naming a running server (e.g. TEST_POSTGRES_URL) is read; defaults to process.env. */
  env?: NodeJS.ProcessEnv
  /** Start a fresh server with this backend even if the environment names a URL. */
  backend?: Backend
}
