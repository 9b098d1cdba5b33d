// The service kit registers @fastify/swagger; its types add `hide` and `summary` to route schemas.
import type {} from '@fastify/swagger'
