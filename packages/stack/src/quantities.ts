const MEMORY_UNITS = { K: 1024, M: 1024 ** 2, G: 1024 ** 3 } as const

/** Compose's memory syntax in its canonical form: a whole number and K, M or G. */
export const MEMORY_PATTERN = '^[1-9][0-9]{0,5}[KMG]$'

/** Decimal CPUs as compose writes them, e.g. "0.50", "1", "2.5". */
export const CPUS_PATTERN = '^(0|[1-9][0-9]?)(\\.[0-9]{1,2})?$'

/** Docker refuses a memory limit under 6 MiB. */
export const MIN_MEMORY_BYTES = 6 * MEMORY_UNITS.M

const memoryRegExp = new RegExp(MEMORY_PATTERN)

/** Bytes in a memory string ("192M" → 201326592). */
export function parseMemory(memory: string): number {
  if (!memoryRegExp.test(memory)) {
    throw new Error(`invalid memory "${memory}": expected a whole number and K, M or G, e.g. 192M`)
  }
  const unit = memory.slice(-1) as keyof typeof MEMORY_UNITS
  return Number(memory.slice(0, -1)) * MEMORY_UNITS[unit]
}
