import { createService, loadConfigOrExit, startService } from '@flotilla/service'
import manifest from '../package.json' with { type: 'json' }
import { statusApp } from './app.js'
import { statusConfigSchema } from './config.js'

const config = loadConfigOrExit(statusConfigSchema)
const app = await createService({ name: 'status', version: manifest.version, config })
await app.register(statusApp, config)
await startService(app, config)
