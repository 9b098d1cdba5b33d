import type { Registry } from '@flotilla/stack'

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

/** What the shared body (body.ts) gets from each target it runs on: Compose or Swarm. */
export interface Target {
  /** `http://127.0.0.1:<port>`: nginx. */
  base: string
  registry: Registry
  /** Shared services left out because their image is not on this machine. */
  missing(): string[]
  hasApp(name: string): boolean
  /** The id of the running container of a shared service (on this machine's daemon). */
  container(service: string): Promise<string>
}

/** What a suite in ./swarm-suites/ gets: the stack deployed on the swarm this daemon manages. */
export interface SwarmStack {
  root: string
  base: string
  /** The environment the deploy runs with (FLOTILLA_TAG, HTTP_PORT, the swarm's address). */
  env: NodeJS.ProcessEnv
  /** The stack's name: its services are <stackName>_<service>. */
  stackName: string
  /** scripts/swarm-deploy again (ML placement recomputed from `docker node ls`). */
  redeploy(): Promise<void>
  /** Tags a changed image of the app (one LABEL more) under the run's tag; returns its id. */
  rolloutImage(app: string): Promise<string>
  /** scripts/deploy <app> --skip-build on the swarm; its stdout (a JSON result). */
  deployApp(app: string): Promise<string>
}
