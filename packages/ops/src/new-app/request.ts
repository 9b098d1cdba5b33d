import type { Registry, StoreName, Tier } from '@flotilla/stack'
import { validateAppName } from '@flotilla/stack'

export interface NewAppRequest {
  name: string
  tier: Tier
  route?: string
  port?: number
  /** e.g. `postgres,redis,chroma:memories,qdrant:docs+notes` */
  stores?: string
}

/** The manifest `new-app` will write, every field decided. */
export interface NewAppPlan {
  name: string
  tier: Tier
  dir: string
  manifest: {
    tier: Tier
    route: string
    port: number
    stores: Partial<Record<StoreName, boolean | string[]>>
    resources: { memory: string; cpus: string }
    profile: string | null
    /** The ML tier's model the app loads (MODEL_DIR); ML apps only. */
    model?: string
    redisDb?: number
  }
}

/** Base apps take ports from 3000, ML apps from 3100 (as the reference apps do). */
const FIRST_PORT: Record<Tier, number> = { base: 3000, ml: 3100 }
const RESOURCES: Record<Tier, { memory: string; cpus: string }> = {
  base: { memory: '192M', cpus: '0.50' },
  ml: { memory: '512M', cpus: '1.00' },
}
const FLAG_STORES = new Set(['postgres', 'redis', 'neo4j'])
const LIST_STORES = new Set(['qdrant', 'chroma'])

export class NewAppError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `new-app refused (${problems.length} problem(s)):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    )
  }
}

/**
 * Decides the new app's manifest against the current registry, or throws NewAppError naming
 * every problem. Pure: nothing is written.
 */
export function planNewApp(registry: Registry, request: NewAppRequest): NewAppPlan {
  const problems = validateAppName(request.name).map((p) => `name: ${p}`)
  if (problems.length > 0) throw new NewAppError(problems)
  const { name, tier } = request
  if (tier !== 'base' && tier !== 'ml') problems.push(`--tier: "${tier}" must be base or ml`)
  if (registry.apps.some((app) => app.name === name)) {
    problems.push(`name: an app "${name}" already exists (apps/${name})`)
  }
  const stores = parseStores(request.stores ?? '', problems)

  const route = request.route ?? `/${name}/`
  const clash = registry.apps.find(
    (app) =>
      app.route === route ||
      (app.route !== '/' && route.startsWith(app.route)) ||
      (route !== '/' && app.route.startsWith(route)),
  )
  if (clash) problems.push(`--route: "${route}" overlaps "${clash.route}" of ${clash.name}`)

  const usedPorts = new Set(registry.apps.map((app) => app.port))
  let port = request.port
  if (port === undefined) {
    port = FIRST_PORT[tier] ?? 3000
    while (usedPorts.has(port)) port++
  } else if (usedPorts.has(port)) {
    const owner = registry.apps.find((app) => app.port === port)
    problems.push(`--port: ${port} is already used by ${owner?.name}`)
  }

  let redisDb: number | undefined
  if (stores.redis) {
    // Pin a free index: the registry derives unpinned ones, and a pin keeps the data where
    // it is when later apps arrive (packages/stack README, "Redis DB index").
    const used = new Set(registry.apps.map((app) => app.redisDb))
    redisDb = [...Array(15).keys()].map((i) => i + 1).find((db) => !used.has(db))
    if (redisDb === undefined) problems.push('--stores: every Redis DB index 1-15 is taken')
  }
  if (problems.length > 0) throw new NewAppError(problems)
  return {
    name,
    tier,
    dir: `apps/${name}`,
    manifest: {
      tier,
      route,
      port,
      stores,
      resources: RESOURCES[tier],
      profile: tier === 'ml' ? 'ml' : null,
      // The ML template embeds text, as the embedder does.
      ...(tier === 'ml' ? { model: 'embedding' } : {}),
      ...(redisDb === undefined ? {} : { redisDb }),
    },
  }
}

function parseStores(spec: string, problems: string[]): NewAppPlan['manifest']['stores'] {
  const stores: NewAppPlan['manifest']['stores'] = {}
  for (const item of spec.split(',').filter(Boolean)) {
    const [store = '', collections] = item.split(':')
    if (FLAG_STORES.has(store) && collections === undefined) {
      stores[store as StoreName] = true
    } else if (LIST_STORES.has(store) && collections) {
      stores[store as StoreName] = collections.split('+')
    } else {
      problems.push(
        `--stores: "${item}" is not postgres, redis, neo4j, qdrant:<a+b> or chroma:<a+b>`,
      )
    }
  }
  return stores
}
