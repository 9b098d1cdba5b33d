import type { Tier } from '../manifest.js'

/** Edge limits per tier: ML requests are heavier and may carry batches of text. */
export const TIER_LIMITS: Record<Tier, { rate: string; burst: number; bodySize: string }> = {
  base: { rate: '50r/s', burst: 100, bodySize: '1m' },
  ml: { rate: '20r/s', burst: 40, bodySize: '16m' },
}

/** The images an app's Dockerfile builds from, by tier. */
export const TIER_IMAGE: Record<Tier, string> = { base: 'flotilla/base', ml: 'flotilla/ml' }
