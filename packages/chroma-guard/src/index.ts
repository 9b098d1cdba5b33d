export { type Decision, decideAccess } from './access.js'
export { type GuardConfig, guardConfigSchema } from './config.js'
export { buildGuard } from './guard.js'
export { appToken, type Identity, identify, tokenFromHeaders } from './token.js'
