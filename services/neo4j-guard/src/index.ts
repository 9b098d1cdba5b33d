export { type GuardConfig, guardConfigSchema } from './config.js'
export { buildGuard } from './guard.js'
export { type LocalGuard, startLocalGuard } from './local.js'
