import { randomBytes } from 'node:crypto'

/** Hex, so it needs no escaping in URLs or config files. */
export function generatePassword(): string {
  return randomBytes(24).toString('hex')
}
