import type { StoreProbe } from '../probe-types.js'

/** Qdrant's health endpoints need no API key or JWT. */
export const probe: StoreProbe = { description: 'Qdrant', url: 'http://qdrant:6333/readyz' }
