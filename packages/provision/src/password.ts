import { randomBytes } from 'node:crypto'

/** 256 random bits, URL-safe, so it can sit in a connection URL without escaping. */
export function generatePassword(): string {
  return randomBytes(32).toString('base64url')
}
