export { APP_SECRETS_DIR, appVariable, composeAppAnchor, composeAppServices } from './compose.js'
export { COMPOSE_MIN_VERSION, COMPOSE_NEEDED, composeVersionProblem } from './compose-version.js'
export { envExampleApps } from './env-example.js'
export { type GeneratedFile, generatedFiles, staleFiles, writeGenerated } from './files.js'
export { beginMarker, endMarker, MarkerError, replaceBlock } from './markers.js'
export {
  INTERNAL_PATHS,
  nginxLimits,
  nginxRoutes,
  nginxUpstreams,
  UPSTREAM_KEEPALIVE,
} from './nginx.js'
export {
  parseStoreCompose,
  readStoreComposes,
  STORE_SERVICE,
  StoreComposeError,
  storeComposeFile,
} from './stores.js'
export {
  appSecretKey,
  appSecretVariable,
  ML_PLACEMENT_VARIABLE,
  ML_TIER_LABEL,
  STORES_LABEL,
  SWARM_REGISTRY,
  swarmStack,
} from './swarm.js'
export { bodyLimitBytes, TIER_LIMITS } from './tier-defaults.js'
export { TIER_DIRS, tierVersionProblems } from './tiers.js'
export { APP_UID_BASE, appUid } from './uid.js'
