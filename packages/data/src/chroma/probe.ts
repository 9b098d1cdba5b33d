import type { StoreProbe } from '../probe-types.js'

/** Chroma sits on chroma_backend alone with its guard, whose /readyz checks Chroma's heartbeat. */
export const probe: StoreProbe = {
  description: 'ChromaDB via chroma-guard',
  url: 'http://chroma-guard:8000/readyz',
}
