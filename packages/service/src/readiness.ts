import type { FastifyInstance } from 'fastify'

/** One thing the service needs; `required` ones make /readyz answer 503 when down. */
export interface DependencyCheck {
  name: string
  required: boolean
  /** Resolves when the dependency answers; should honour the signal. */
  check: (signal: AbortSignal) => Promise<unknown>
  timeoutMs?: number
}

export interface DependencyStatus {
  status: 'up' | 'down'
  required: boolean
  latencyMs: number
  error?: string
}

export interface Readiness {
  /** `draining`: shutting down, still serving what arrives until the drain delay ends. */
  status: 'ready' | 'degraded' | 'unavailable' | 'draining'
  dependencies: Record<string, DependencyStatus>
}

export class ReadinessRegistry {
  readonly #checks = new Map<string, DependencyCheck>()
  #draining = false

  constructor(private readonly defaultTimeoutMs: number) {}

  add(check: DependencyCheck): void {
    if (this.#checks.has(check.name))
      throw new Error(`dependency ${check.name} is already registered`)
    this.#checks.set(check.name, check)
  }

  /** From now on /readyz says `draining` (503), so health-gated routing stops sending here. */
  drain(): void {
    this.#draining = true
  }

  async evaluate(): Promise<Readiness> {
    const entries = await Promise.all(
      [...this.#checks.values()].map(async (dep) => [dep.name, await this.#run(dep)] as const),
    )
    const dependencies = Object.fromEntries(entries)
    const down = entries.filter(([, result]) => result.status === 'down')
    const status = this.#draining
      ? 'draining'
      : down.some(([, result]) => result.required)
        ? 'unavailable'
        : down.length > 0
          ? 'degraded'
          : 'ready'
    return { status, dependencies }
  }

  async #run(dep: DependencyCheck): Promise<DependencyStatus> {
    const timeoutMs = dep.timeoutMs ?? this.defaultTimeoutMs
    const controller = new AbortController()
    const started = performance.now()
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort()
        reject(new Error(`timed out after ${timeoutMs} ms`))
      }, timeoutMs)
    })
    try {
      await Promise.race([dep.check(controller.signal), timeout])
      return { status: 'up', required: dep.required, latencyMs: elapsed(started) }
    } catch (error) {
      return {
        status: 'down',
        required: dep.required,
        latencyMs: elapsed(started),
        error: error instanceof Error ? error.message : String(error),
      }
    } finally {
      clearTimeout(timer)
    }
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10
}

export function installHealthRoutes(app: FastifyInstance, registry: ReadinessRegistry): void {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }))
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const readiness = await registry.evaluate()
    const serving = readiness.status === 'ready' || readiness.status === 'degraded'
    return reply.status(serving ? 200 : 503).send(readiness)
  })
}
