export {
  type BaseConfig,
  baseConfigProperties,
  ConfigError,
  loadConfig,
  serviceConfig,
} from './config.js'
export { createService, type Service, type ServiceOptions } from './create-service.js'
export { AppError, ErrorBody } from './errors.js'
export { isDependencyUnavailable, refusedValue } from './failures.js'
export { METRICS_JSON_PATH, MetricsJson } from './metrics.js'
export type { DependencyCheck, DependencyStatus, Readiness } from './readiness.js'
export { type LocalService, loadConfigOrExit, startLocalService, startService } from './run.js'
