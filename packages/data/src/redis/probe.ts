import type { StoreProbe } from '../probe-types.js'

/** The `default` user is off and every other one needs a password the page must not hold. */
export const probe: StoreProbe = { description: 'Redis', url: 'tcp://redis:6379' }
