import { createHash } from 'node:crypto'

/**
 * Derived indexes avoid DB 0, where every connection lands before SELECT, so app keys
 * never mix with whatever a stray client writes there.
 */
const FIRST_DERIVED_DB = 1
const DERIVED_DB_COUNT = 15

/**
 * Picks a DB index for each app without an explicit one. Each app starts at a slot
 * hashed from its name (not its position in the list), so adding an app rarely moves an
 * existing one; a collision probes to the next free slot, apps taken in name order.
 * An app that finds no free slot maps to `null`.
 */
export function deriveRedisDbs(
  namesNeedingDb: readonly string[],
  takenDbs: ReadonlySet<number>,
): Map<string, number | null> {
  const taken = new Set(takenDbs)
  const assigned = new Map<string, number | null>()
  for (const name of [...namesNeedingDb].sort()) {
    const start = createHash('sha256').update(name).digest().readUInt32BE(0)
    let free: number | null = null
    for (let probe = 0; probe < DERIVED_DB_COUNT && free === null; probe++) {
      const db = FIRST_DERIVED_DB + ((start + probe) % DERIVED_DB_COUNT)
      if (!taken.has(db)) free = db
    }
    assigned.set(name, free)
    if (free !== null) taken.add(free)
  }
  return assigned
}
