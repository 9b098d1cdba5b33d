import type { Place } from './access.js'

/**
 * Answers "is collection {id} in this app's tenant and database?" by asking Chroma, because Chroma itself
 * serves `/tenants/{a}/…/collections/{id}/get` for a collection of ANY tenant.
 * Only positive answers are cached: a collection never changes tenant and ids are random
 * UUIDs, never reused.
 */
export class CollectionOwnership {
  readonly #owned = new Map<string, true>()

  constructor(
    private readonly upstreamUrl: string,
    private readonly timeoutMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  async isOwnedBy({ tenant, database }: Place, collectionId: string): Promise<boolean> {
    const key = `${tenant}/${database}/${collectionId}`
    if (this.#owned.has(key)) return true
    const url = `${this.upstreamUrl}/api/v2/tenants/${tenant}/databases/${database}/collections/by-id/${collectionId}`
    const response = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) })
    if (response.status === 404) return false
    if (!response.ok) throw new Error(`Chroma answered ${response.status} for ${url}`)
    const collection = (await response.json()) as {
      id?: unknown
      tenant?: unknown
      database?: unknown
    }
    // Chroma scopes by-id lookups today; checking the body keeps that from being load-bearing.
    const owned =
      collection.id === collectionId &&
      collection.tenant === tenant &&
      collection.database === database
    if (owned) this.#remember(key)
    return owned
  }

  #remember(key: string): void {
    if (this.#owned.size >= this.maxEntries) {
      const oldest = this.#owned.keys().next().value
      if (oldest !== undefined) this.#owned.delete(oldest)
    }
    this.#owned.set(key, true)
  }
}
