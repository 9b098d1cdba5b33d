import { loadConfigOrExit, startService } from '@flotilla/service'
import { guardConfigSchema } from './config.js'
import { buildGuard } from './guard.js'

const config = loadConfigOrExit(guardConfigSchema)
const guard = await buildGuard(config)
await startService(guard, config)
