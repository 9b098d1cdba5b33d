import type { StoreProbe } from '../probe-types.js'

/** A login needs a password the status page must not hold: a TCP connect. */
export const probe: StoreProbe = { description: 'PostgreSQL', url: 'tcp://postgres:5432' }
