export {
  cachedModelName,
  inputLimits,
  type MlServiceConfig,
  mlServiceProperties,
  modelName,
  runtimeOptions,
} from './config.js'
export { mlErrorResponses } from './error-responses.js'
export { checkInputs, type InputLimits } from './input-limits.js'
export { toAppError } from './ml-errors.js'
export { type ModelRows, RowCache } from './row-cache.js'
export { openServedModel, type RuntimeModel, ServedModel } from './served-model.js'
