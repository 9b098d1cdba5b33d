export { type BackendChoice, chooseBackend } from './backend.js'
export { type Container, type ContainerSpec, isDockerAvailable, runContainer } from './docker.js'
export { findBinaries } from './find-binaries.js'
export { findFreePort, isPortOpen, LOOPBACK } from './free-port.js'
export {
  type FuzzOptions,
  type FuzzReport,
  type FuzzTarget,
  fuzzOpenApi,
  fuzzTest,
  fuzzUnavailable,
  schemathesisCli,
} from './fuzz.js'
export { type OutageProxy, startOutageProxy } from './outage-proxy.js'
export { generatePassword } from './secrets.js'
export type { Backend, ServerSource, StartOptions } from './servers.js'
export { ServiceProcess, type ServiceProcessOptions } from './service-process.js'
export {
  type ServerCommand,
  type ServerStart,
  type StartedServer,
  startOnFreePort,
} from './start-server.js'
export { postgresRunAs, type SystemUser } from './system-user.js'
export { waitUntil } from './wait-until.js'
export { startWatchdog, type Watchdog } from './watchdog.js'
