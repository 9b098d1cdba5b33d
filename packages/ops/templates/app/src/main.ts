import { createService, loadConfigOrExit, startService } from '@flotilla/service'
import manifest from '../package.json' with { type: 'json' }
import { __NAME__App } from './app.js'
import { __NAME__ConfigSchema } from './config.js'

const config = loadConfigOrExit(__NAME__ConfigSchema)
const app = await createService({ name: '__NAME__', version: manifest.version, config })
await app.register(__NAME__App, { config })
await startService(app, config)
