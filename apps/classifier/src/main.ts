import { createService, loadConfigOrExit, startService } from '@flotilla/service'
import manifest from '../package.json' with { type: 'json' }
import { classifierApp } from './app.js'
import { classifierConfigSchema } from './config.js'

const config = loadConfigOrExit(classifierConfigSchema)
const app = await createService({ name: 'classifier', version: manifest.version, config })
await app.register(classifierApp, { config })
await startService(app, config)
