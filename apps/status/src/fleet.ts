import { readFile } from 'node:fs/promises'
import { type Static, Type } from 'typebox'
import Value from 'typebox/value'

const ProbeUrl = Type.String({ pattern: '^(tcp|https?)://[^/?#]+' })

export const FleetAppSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    tier: Type.String({ minLength: 1 }),
    route: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    profile: Type.Union([Type.String(), Type.Null()]),
    /** The container's memory limit from the registry: what its memory is measured against. */
    memoryLimitBytes: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
    /** Internal base URL: /readyz, /metrics and /docs/json are read under it. */
    url: Type.String({ pattern: '^https?://[^/?#]+/?$' }),
    /** Whether `scripts/backup` backs it up (it has a store): its backup age is watched. */
    backedUp: Type.Boolean(),
  },
  { additionalProperties: false },
)

export const FleetServiceSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    description: Type.String(),
    /** `tcp://host:port` (connect) or `http(s)://…` (GET answering 2xx). */
    probe: ProbeUrl,
  },
  { additionalProperties: false },
)

export const FleetSchema = Type.Object(
  {
    apps: Type.Array(FleetAppSchema),
    services: Type.Array(FleetServiceSchema),
  },
  { additionalProperties: false },
)

export type FleetApp = Static<typeof FleetAppSchema>
export type FleetService = Static<typeof FleetServiceSchema>
export type Fleet = Static<typeof FleetSchema>

export class FleetFileError extends Error {
  constructor(file: string, problems: string[]) {
    super(`invalid fleet file ${file}:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`)
    this.name = 'FleetFileError'
  }
}

/** `STATUS_TARGET_CHROMA`, `STATUS_TARGET_MY_APP`: the variable that overrides a target's URL. */
export function overrideVariable(name: string): string {
  return `STATUS_TARGET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`
}

/**
 * Reads the fleet written at build time. A `STATUS_TARGET_<NAME>` variable replaces an app's
 * base URL or a service's probe URL, so one image works on other networks and in tests.
 */
export async function readFleet(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Fleet> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'))
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new FleetFileError(file, [`cannot read it (${reason}); run the build to generate it`])
  }
  if (!Value.Check(FleetSchema, parsed)) {
    const problems = [...Value.Errors(FleetSchema, parsed)].map(
      (error) => `${error.instancePath || '/'} ${error.message}`,
    )
    throw new FleetFileError(file, problems)
  }
  const overridden = (name: string, url: string, schema: typeof ProbeUrl) => {
    const value = env[overrideVariable(name)]
    if (value === undefined || value === '') return url
    if (!Value.Check(schema, value)) {
      throw new FleetFileError(file, [
        `${overrideVariable(name)} is not a URL like ${url}: ${value}`,
      ])
    }
    return value
  }
  return {
    apps: parsed.apps.map((app) => ({
      ...app,
      url: overridden(app.name, app.url, FleetAppSchema.properties.url),
    })),
    services: parsed.services.map((service) => ({
      ...service,
      probe: overridden(service.name, service.probe, ProbeUrl),
    })),
  }
}
