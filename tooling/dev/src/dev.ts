import { existsSync, mkdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { adminConfigFromEnv, provisionRepository } from '@flotilla/provision'
import { type App, appVariable, loadRegistry, type StoreName } from '@flotilla/stack'
import { findFreePort } from '@flotilla/testkit'
import { type AppProcess, modelDirOf, startApp, waitForApp } from './apps.js'
import { startGateway } from './gateway.js'
import { startStores } from './stores.js'

export interface DevOptions {
  /** The repository root: its apps/ is the registry. */
  root: string
  /** Stores' data, admin secrets, app credentials and logs; kept between runs. */
  dataDir: string
  /** The one local port every app is reached through (0: any free one). */
  port: number
  /** Only these apps (default: every app of the registry). */
  apps?: string[]
  /** Stores not to start. */
  skipStores?: StoreName[]
  /** Where CHROMA_URL / QDRANT_URL / <APP>_<SETTING> are read; the apps inherit it. */
  env?: NodeJS.ProcessEnv
  /** Progress lines. */
  log?: (line: string) => void
  /** How long each app may take to answer /healthz before its line says so. */
  readyTimeoutMs?: number
}

export interface DevApp {
  name: string
  /** Through the gateway, e.g. http://127.0.0.1:8080/notes/ */
  url: string
  /** Straight to the app (not the stack's way in; for tests and debuggers). */
  directUrl?: string
  log?: string
  /** running | not answering | skipped: <why> */
  state: string
  /** The app's process group while it runs. */
  pid?: number
}

export interface Dev {
  url: string
  apps: DevApp[]
  stop(): Promise<void>
}

/** Why an app cannot run here, or undefined: ML apps need their model. */
function whyNot(root: string, app: App): string | undefined {
  const modelDir = modelDirOf(root, app)
  if (modelDir && !existsSync(join(modelDir, 'model.onnx'))) {
    return `no model in ${relative(root, modelDir)} (packages/ml/README.md: fetch-models)`
  }
  return undefined
}

/**
 * Starts the stores, provisions them as the stack does, runs every app with reload on change
 * and the gateway in front of them. stop() ends everything it started.
 */
export async function startDev(options: DevOptions): Promise<Dev> {
  const env = options.env ?? process.env
  const log = options.log ?? (() => {})
  const logDir = join(options.dataDir, 'logs')
  mkdirSync(logDir, { recursive: true })

  const registry = await loadRegistry(options.root)
  const unknown = (options.apps ?? []).filter((name) => !registry.apps.some((a) => a.name === name))
  if (unknown.length > 0) throw new Error(`no such app in the registry: ${unknown.join(', ')}`)
  const apps = registry.apps.filter((app) => !options.apps || options.apps.includes(app.name))

  log('starting stores (a first Neo4j start builds it with Maven: minutes)')
  const stores = await startStores(options.dataDir, {
    skip: new Set(options.skipStores ?? []),
    env,
  })
  const running: AppProcess[] = []
  let gateway: Awaited<ReturnType<typeof startGateway>> | undefined
  const stop = async () => {
    await gateway?.close()
    await Promise.allSettled(running.map((app) => app.stop()))
    await stores.stop()
  }
  try {
    for (const line of stores.lines) log(line)
    const admin = adminConfigFromEnv(stores.provisionEnv)
    await provisionRepository(options.root, admin, {
      skipStores: [...stores.skipped.keys()],
      log: (line) => log(`provision: ${line}`),
    })

    const ports = new Map<string, number>()
    const skipped = new Map<string, string>()
    for (const app of apps) {
      const reason = whyNot(options.root, app)
      if (reason) skipped.set(app.name, reason)
      else ports.set(app.name, await findFreePort())
    }
    // Where the stack's apps reach each other by service name (kb: EMBEDDER_URL).
    const peers = Object.fromEntries(
      apps.flatMap((app) => {
        const port = ports.get(app.name)
        return port === undefined ? [] : [[appVariable(app, 'URL'), `http://127.0.0.1:${port}`]]
      }),
    )
    for (const app of apps) {
      const port = ports.get(app.name)
      if (port === undefined) continue
      running.push(
        startApp({
          root: options.root,
          app,
          port,
          secretsDir: admin.secretsDir,
          logDir,
          peers,
          modelDir: modelDirOf(options.root, app),
          env,
        }),
      )
    }
    gateway = await startGateway(
      apps.map((app) => ({
        app: app.name,
        prefix: app.route,
        upstream: running.find((p) => p.app.name === app.name)?.url,
      })),
      options.port,
    )
    const address = gateway.server.address()
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : options.port}`
    const ready = await Promise.all(
      running.map((p) => waitForApp(p.url, options.readyTimeoutMs ?? 120_000)),
    )
    return {
      url,
      apps: apps.map((app) => {
        const process = running.findIndex((p) => p.app.name === app.name)
        const started = running[process]
        const base = { name: app.name, url: `${url}${app.route}` }
        if (!started) return { ...base, state: `skipped: ${skipped.get(app.name)}` }
        return {
          ...base,
          directUrl: started.url,
          log: started.log,
          pid: started.pid,
          state: ready[process] ? 'running' : 'not answering yet (see its log)',
        }
      }),
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}
