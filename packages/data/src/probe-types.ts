/**
 * How the status app checks a store is up. A status page must hold no admin secret, so a
 * store that needs a login is checked by a TCP connect, one with an unauthenticated health
 * endpoint over HTTP; a store reached through a guard is probed at the guard's /readyz, which
 * checks the store behind it. The host is the store's compose service (its compose.yml).
 */
export interface StoreProbe {
  /** What the status page calls it. */
  description: string
  /** `tcp://host:port` (connect) or `http(s)://…` (GET answering 2xx). */
  url: string
}
