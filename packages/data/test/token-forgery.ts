import { base64url } from 'jose'

/** `token` (a JWT) with claims changed and its signature kept, as an attacker can write it. */
export function withClaims(token: string, change: Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.') as [string, string, string]
  const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload)))
  return `${header}.${base64url.encode(JSON.stringify({ ...claims, ...change }))}.${signature}`
}

/** `token`'s claims with `alg: none` and no signature. */
export function unsigned(token: string): string {
  const [, payload] = token.split('.')
  return `${base64url.encode('{"alg":"none","typ":"JWT"}')}.${payload}.`
}
