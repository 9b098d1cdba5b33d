export type { App, Registry } from './app.js'
export {
  type AppIdentity,
  appToken,
  appTokenClaims,
  bearerToken,
  sameSecret,
  type TokenAudience,
  type TokenClaims,
  verifyAppToken,
} from './app-token.js'
export {
  BACKUP_RECORDS_APP_VARIABLE,
  BACKUP_RECORDS_DEFAULT_DIR,
  BACKUP_RECORDS_MOUNT,
  BACKUP_RECORDS_READER,
  BACKUP_RECORDS_VARIABLE,
  type BackupRecord,
  BackupRecordSchema,
  backupRecordFile,
  backupRecordsDir,
  isBackedUp,
  readBackupRecords,
  writeBackupRecord,
} from './backup-records.js'
export {
  APP_SECRETS_DIR,
  APP_UID_BASE,
  appSecretKey,
  appSecretVariable,
  appUid,
  appVariable,
  beginMarker,
  bodyLimitBytes,
  COMPOSE_MIN_VERSION,
  COMPOSE_NEEDED,
  composeAppAnchor,
  composeAppServices,
  composeVersionProblem,
  endMarker,
  envExampleApps,
  type GeneratedFile,
  generatedFiles,
  INTERNAL_PATHS,
  MarkerError,
  ML_PLACEMENT_VARIABLE,
  ML_TIER_LABEL,
  nginxLimits,
  nginxRoutes,
  replaceBlock,
  STORES_LABEL,
  SWARM_REGISTRY,
  staleFiles,
  swarmStack,
  TIER_DIRS,
  TIER_LIMITS,
  tierVersionProblems,
  writeGenerated,
} from './generate/index.js'
export { loadRegistry } from './load.js'
export {
  COLLECTION_NAME_PATTERN,
  type Manifest,
  ManifestSchema,
  PROFILE_PATTERN,
  ROUTE_PATTERN,
  STORE_NAMES,
  type StoreName,
  type Tier,
} from './manifest.js'
export {
  APP_NAME_PATTERN,
  appNameFromPackageName,
  RESERVED_APP_NAMES,
  validateAppName,
} from './names.js'
export { formatProblem, type Problem, RegistryError } from './problems.js'
export { CPUS_PATTERN, MEMORY_PATTERN, parseMemory } from './quantities.js'
export { serviceUrlOf } from './service-url.js'
