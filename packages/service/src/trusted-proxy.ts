import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'

/** A miss re-resolves at most this often, so a flood from an untrusted peer costs no lookups. */
const MISS_REFRESH_MS = 1_000
/** A name's addresses are trusted this long before the next request re-resolves them. */
const STALE_AFTER_MS = 10_000

/** An IPv4 peer of a dual-stack socket looks like `::ffff:10.0.0.2`. */
const normalize = (address: string): string =>
  address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address

/**
 * The one peer whose X-Forwarded-For is believed: the reverse proxy (nginx, which sets it
 * from its own peer). Named by host name or address; names are looked up again when stale
 * and when an unknown peer shows up, because a container's address changes on restart.
 * Only the nearest hop is trusted, so the client address is the header's last entry and a
 * client cannot prepend its way past it.
 */
export class TrustedProxy {
  readonly #literals: Set<string>
  readonly #names: string[]
  #resolved = new Set<string>()
  #resolvedAt = Number.NEGATIVE_INFINITY
  #resolving: Promise<void> | undefined

  constructor(spec: string) {
    const entries = spec
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
    this.#literals = new Set(entries.filter((entry) => isIP(entry)).map(normalize))
    this.#names = entries.filter((entry) => !isIP(entry))
  }

  /** For Fastify's `trustProxy`: whether the address at `hop` (0 = the TCP peer) may forward. */
  trusts(address: string, hop: number): boolean {
    if (hop !== 0) return false
    const peer = normalize(address)
    return this.#literals.has(peer) || this.#resolved.has(peer)
  }

  /** Brings the names' addresses up to date when they may be out of date for this peer. */
  async refreshFor(peer: string | undefined): Promise<void> {
    if (this.#names.length === 0) return
    const age = Date.now() - this.#resolvedAt
    const known = peer !== undefined && this.trusts(peer, 0)
    if (age < STALE_AFTER_MS && (known || age < MISS_REFRESH_MS)) return
    this.#resolving ??= this.#resolve().finally(() => {
      this.#resolving = undefined
    })
    await this.#resolving
  }

  async #resolve(): Promise<void> {
    const found = await Promise.all(
      this.#names.map((name) =>
        // A name that does not resolve (nginx not running, a test) is simply trusted by no one.
        lookup(name, { all: true }).then(
          (addresses) => addresses.map(({ address }) => normalize(address)),
          () => [],
        ),
      ),
    )
    this.#resolved = new Set(found.flat())
    this.#resolvedAt = Date.now()
  }
}
