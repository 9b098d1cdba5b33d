import { createService, loadConfigOrExit, startService } from '@flotilla/service'
import manifest from '../package.json' with { type: 'json' }
import { kbApp } from './app.js'
import { kbConfigSchema } from './config.js'

const config = loadConfigOrExit(kbConfigSchema)
const app = await createService({ name: 'kb', version: manifest.version, config })
await app.register(kbApp, { config })
await startService(app, config)
