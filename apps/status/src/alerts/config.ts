import { readFile } from 'node:fs/promises'
import { type Static, Type } from 'typebox'
import Value from 'typebox/value'

const forSeconds = Type.Integer({
  minimum: 0,
  description: 'how long the condition must hold before the alert fires',
})
const enabled = Type.Boolean({ default: true })

export const RulesSchema = Type.Object(
  {
    appDown: Type.Object(
      { enabled, forSeconds },
      { additionalProperties: false, description: "an app's /readyz not answering 200" },
    ),
    serviceDown: Type.Object(
      { enabled, forSeconds },
      { additionalProperties: false, description: 'a shared service (store, nginx) unreachable' },
    ),
    p95: Type.Object(
      { enabled, forSeconds, thresholdMs: Type.Number({ exclusiveMinimum: 0 }) },
      { additionalProperties: false, description: "an app's p95 latency over the threshold" },
    ),
    memory: Type.Object(
      { enabled, forSeconds, ratio: Type.Number({ exclusiveMinimum: 0, maximum: 1 }) },
      {
        additionalProperties: false,
        description: "an app's resident memory over this share of its container limit",
      },
    ),
    backupAge: Type.Object(
      { enabled, maxAgeHours: Type.Number({ exclusiveMinimum: 0 }) },
      {
        additionalProperties: false,
        description:
          "an app's newest verified backup (scripts/backup's record of it) older than maxAgeHours, or none after the app was watched that long",
      },
    ),
  },
  { additionalProperties: false },
)
export type Rules = Static<typeof RulesSchema>
export type RuleName = keyof Rules

export const WebhookFormatSchema = Type.Enum(['json', 'slack', 'discord', 'ntfy'], {
  description: 'the body shape: our JSON, Slack/Discord incoming webhooks, or an ntfy topic',
})
export type WebhookFormat = Static<typeof WebhookFormatSchema>

export const AlertsConfigSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    rules: RulesSchema,
    /** Per target (app or service name): rule settings that differ from the defaults. */
    overrides: Type.Record(
      Type.String({ pattern: '^[a-z][a-z0-9_-]*$' }),
      Type.Object(
        {
          appDown: Type.Optional(Type.Partial(RulesSchema.properties.appDown)),
          serviceDown: Type.Optional(Type.Partial(RulesSchema.properties.serviceDown)),
          p95: Type.Optional(Type.Partial(RulesSchema.properties.p95)),
          memory: Type.Optional(Type.Partial(RulesSchema.properties.memory)),
          backupAge: Type.Optional(Type.Partial(RulesSchema.properties.backupAge)),
        },
        { additionalProperties: false },
      ),
      { default: {} },
    ),
    reminderMinutes: Type.Number({
      minimum: 0,
      description: 'repeat a still-firing alert this often; 0: never',
    }),
    webhooks: Type.Array(
      Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 64 }),
          format: WebhookFormatSchema,
          urlEnv: Type.String({
            pattern: '^[A-Z_][A-Z0-9_]*$',
            description:
              'the environment variable holding the URL: webhook URLs carry secrets and are never written in this file',
          }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
)
export type AlertsConfig = Static<typeof AlertsConfigSchema>

export interface Webhook {
  name: string
  format: WebhookFormat
  urlEnv: string
  /** Null when the variable is unset: listed as not configured, never sent to. */
  url: string | null
}

export class AlertsConfigError extends Error {
  constructor(file: string, problems: string[]) {
    super(`invalid alerts file ${file}:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`)
    this.name = 'AlertsConfigError'
  }
}

export interface LoadedAlerts {
  file: string
  config: AlertsConfig
  webhooks: Webhook[]
}

/**
 * Reads and checks the alerts file; webhook URLs come from the variables it names.
 * `backupMaxAgeHours` (the operator's BACKUP_MAX_AGE_HOURS) replaces the file's default schedule.
 */
export async function loadAlerts(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  options: { backupMaxAgeHours?: number } = {},
): Promise<LoadedAlerts> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'))
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new AlertsConfigError(file, [`cannot read it: ${reason}`])
  }
  const withDefaults = Value.Default(AlertsConfigSchema, parsed)
  if (!Value.Check(AlertsConfigSchema, withDefaults)) {
    const problems = [...Value.Errors(AlertsConfigSchema, withDefaults)].map(
      (error) => `${error.instancePath || '/'} ${error.message}`,
    )
    throw new AlertsConfigError(file, [...new Set(problems)])
  }
  const config = withDefaults
  if (options.backupMaxAgeHours !== undefined) {
    config.rules.backupAge.maxAgeHours = options.backupMaxAgeHours
  }
  const problems: string[] = []
  const webhooks = config.webhooks.map((webhook, index) => {
    const url = env[webhook.urlEnv] || null
    if (url !== null && !/^https?:\/\/[^/?#]+/.test(url)) {
      problems.push(`/webhooks/${index}: ${webhook.urlEnv} is not an http(s) URL`)
    }
    return { ...webhook, url }
  })
  if (problems.length > 0) throw new AlertsConfigError(file, problems)
  return { file, config, webhooks }
}

/** A rule's settings for one target: the defaults with that target's overrides on top. */
export function ruleFor<R extends RuleName>(
  config: AlertsConfig,
  rule: R,
  target: string,
): Rules[R] {
  return { ...config.rules[rule], ...config.overrides[target]?.[rule] }
}
