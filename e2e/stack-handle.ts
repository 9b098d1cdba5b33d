/** What a suite in ./suites/ gets: the running stack, reached through nginx only. */
export interface Stack {
  root: string
  /** `http://127.0.0.1:<port>`: nginx, the stack's only door. */
  base: string
  /** The environment compose runs with (ports, subnets, the app settings under test). */
  env: NodeJS.ProcessEnv
  /** The compose command line of this run: valid once the stack is up (in a test). */
  compose(): string[]
  /** Shared services left out because their image is not on this machine. */
  missing(): string[]
  hasApp(name: string): boolean
}
