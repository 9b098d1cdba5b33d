import { type Static, type TObject, type TProperties, Type } from 'typebox'
import Value from 'typebox/value'

/** Settings every service understands; apps extend them with `serviceConfig({...})`. */
export const baseConfigProperties = {
  HOST: Type.String({ default: '0.0.0.0' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) =>
      Type.Literal(level),
    ),
    { default: 'info' },
  ),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1, default: 1_048_576 }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  /**
   * After SIGTERM, how long to keep serving (with /readyz 503) before closing the listener. A
   * proxy that holds this instance's address from DNS for a while (nginx on Swarm, where a
   * replaced task's address stops answering) must learn the new one before this one goes.
   */
  SHUTDOWN_DRAIN_MS: Type.Integer({ minimum: 0, default: 0 }),
  READINESS_TIMEOUT_MS: Type.Integer({ minimum: 10, default: 2_000 }),
  /**
   * The reverse proxy whose X-Forwarded-For is believed, by host name or address (several
   * separated by commas): nginx, the stack's only door. Any other peer is the client itself.
   */
  TRUSTED_PROXY: Type.String({ minLength: 1, default: 'nginx' }),
}

export function serviceConfig<P extends TProperties>(
  properties: P,
): TObject<typeof baseConfigProperties & P> {
  return Type.Object({ ...baseConfigProperties, ...properties })
}

export type BaseConfig = Static<TObject<typeof baseConfigProperties>>

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

/**
 * Reads the schema's keys from the environment, applies defaults and converts strings to the
 * declared types, and reports every problem at once so an operator fixes them in one go.
 */
export function loadConfig<S extends TObject>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): Static<S> {
  const raw: Record<string, unknown> = {}
  for (const key of Object.keys(schema.properties)) {
    const value = env[key]
    if (value !== undefined && value !== '') raw[key] = value
  }
  const config = Value.Convert(schema, Value.Default(schema, raw))
  const problems = [...Value.Errors(schema, config)].flatMap((error) => {
    if (error.keyword === 'required') {
      const missing = (error.params as { requiredProperties: string[] }).requiredProperties
      return missing.map((key) => `${key} is required but not set`)
    }
    const key = error.instancePath.replace(/^\//, '')
    return [`${key} ${error.message} (got ${JSON.stringify(raw[key])})`]
  })
  if (problems.length > 0) throw new ConfigError(problems)
  return config as Static<S>
}
