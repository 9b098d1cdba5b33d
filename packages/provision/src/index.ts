export { type AdminConfig, AdminConfigError, adminConfigFromEnv } from './admin-config.js'
export { appEnvPath } from './app-env.js'
export {
  ProvisionError,
  type ProvisionOptions,
  provision,
  provisionRepository,
  provisionTargets,
} from './provision.js'
export { formatEnvFile, writeSecretFile } from './secret-file.js'
