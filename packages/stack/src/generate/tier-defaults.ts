import type { App } from '../app.js'
import type { Tier } from '../manifest.js'

/**
 * Edge limits per tier: ML requests are heavier and may carry batches of text.
 * `bodyLimitBytes` is both nginx's client_max_body_size and the app's BODY_LIMIT_BYTES, so
 * an oversized body is refused by nginx (413) before the app could close on it unread.
 * ML bodies stop at 4 MiB: nginx buffers bodies in its 128M tmpfs, and a JSON body grows
 * several times over in V8 — 16 MiB let a handful of uploads exhaust either.
 */
export const TIER_LIMITS: Record<Tier, { rate: string; burst: number; bodyLimitBytes: number }> = {
  base: { rate: '50r/s', burst: 100, bodyLimitBytes: 1024 ** 2 },
  ml: { rate: '20r/s', burst: 40, bodyLimitBytes: 4 * 1024 ** 2 },
}

/** The app's own body limit (BODY_LIMIT_BYTES in its compose service), and nginx's for it. */
export function bodyLimitBytes(app: Pick<App, 'tier'>): number {
  return TIER_LIMITS[app.tier].bodyLimitBytes
}
