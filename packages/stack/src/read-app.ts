import { Value } from 'typebox/value'
import type { App } from './app.js'
import { ENV_NAME_PATTERN, type Manifest, ManifestSchema } from './manifest.js'
import { manifestProblems } from './manifest-problems.js'
import { appNameFromPackageName, validateAppName } from './names.js'
import type { Problem } from './problems.js'
import { MIN_MEMORY_BYTES, parseMemory } from './quantities.js'

/** An app's package.json as found on disk, before any validation. */
export interface AppSource {
  /** Folder name under apps/. */
  folder: string
  text: string
}

/** An app with a valid manifest, not yet checked against the other apps. */
export type CheckedApp = Omit<App, 'redisDb'> & { redisDb: number | undefined }

/**
 * What an app claims that no other app may share. A field is present only when it is
 * valid on its own, so collisions are found even while the app has other problems.
 */
export interface Claims {
  file: string
  /** Who to name in a collision message: the app (folder) name. */
  owner: string
  route?: string
  port?: number
  redisDb?: number
}

export interface ReadResult {
  /** Present only when the app has no problems of its own. */
  app?: CheckedApp
  claims?: Claims
  problems: Problem[]
}

/** Validates one app on its own. */
export function readApp(source: AppSource): ReadResult {
  const dir = `apps/${source.folder}`
  const file = `${dir}/package.json`
  const problems: Problem[] = []
  const report = (field: string, message: string) => problems.push({ file, field, message })

  let pkg: unknown
  try {
    pkg = JSON.parse(source.text)
  } catch (error) {
    report('', `is not valid JSON (${(error as Error).message})`)
    return { problems }
  }
  if (!isRecord(pkg)) {
    report('', 'must contain a JSON object')
    return { problems }
  }
  const { name: packageName, flotilla } = pkg

  let name: string | undefined
  if (typeof packageName !== 'string') {
    report('name', 'is required: the package name, e.g. "@flotilla/notes"')
  } else {
    name = appNameFromPackageName(packageName)
    for (const message of validateAppName(name)) report('name', `app name ${message}`)
    if (name !== source.folder) {
      report('name', `app name "${name}" must equal its folder name "${source.folder}"`)
    }
  }

  if (flotilla === undefined) {
    report('flotilla', 'is required: the app manifest block (see packages/stack/README.md)')
    return { problems }
  }
  const schemaProblems = manifestProblems(flotilla)
  for (const { field, message } of schemaProblems) report(field, message)
  const claims = validClaims(
    file,
    source.folder,
    flotilla,
    new Set(schemaProblems.map((p) => p.field)),
  )
  if (problems.length > 0 || name === undefined || typeof packageName !== 'string') {
    return { claims, problems }
  }

  const manifest = Value.Parse(ManifestSchema, flotilla)
  for (const { field, message } of meaningProblems(manifest)) report(field, message)
  if (problems.length > 0) return { claims, problems }

  const { tier, route, port, stores, resources, profile, model, redisDb, env = {} } = manifest
  return {
    app: {
      name,
      packageName,
      dir,
      manifestFile: file,
      tier,
      route,
      port,
      stores,
      resources,
      profile,
      model: model ?? null,
      redisDb,
      env,
    },
    claims,
    problems,
  }
}

function validClaims(
  file: string,
  owner: string,
  flotilla: unknown,
  badFields: Set<string>,
): Claims {
  const claims: Claims = { file, owner }
  if (!isRecord(flotilla)) return claims
  const { route, port, redisDb } = flotilla
  if (typeof route === 'string' && !badFields.has('flotilla.route')) claims.route = route
  if (typeof port === 'number' && !badFields.has('flotilla.port')) claims.port = port
  if (typeof redisDb === 'number' && !badFields.has('flotilla.redisDb')) claims.redisDb = redisDb
  return claims
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** Rules the schema cannot say: values that are well-formed but unusable together. */
/** Variables the generated compose service sets itself; an app's `env` may not take them. */
const KIT_ENV = ['HOST', 'PORT', 'LOG_LEVEL', 'NODE_OPTIONS', 'BODY_LIMIT_BYTES', 'MODEL_DIR']

function meaningProblems(manifest: Manifest): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = []
  const { memory, cpus } = manifest.resources
  if (parseMemory(memory) < MIN_MEMORY_BYTES) {
    problems.push({
      field: 'flotilla.resources.memory',
      message: `must be at least 6M (Docker's minimum), got "${memory}"`,
    })
  }
  if (Number(cpus) <= 0) {
    problems.push({ field: 'flotilla.resources.cpus', message: `must be above 0, got "${cpus}"` })
  }
  if (manifest.tier === 'ml' && manifest.profile === null) {
    problems.push({
      field: 'flotilla.profile',
      message:
        'must name a compose profile (e.g. "ml") for tier "ml": the ML tier only starts with --profile',
    })
  }
  if (manifest.tier === 'ml' && manifest.model === undefined) {
    problems.push({
      field: 'flotilla.model',
      message:
        'must name the ML tier\'s model the app serves (e.g. "embedding") for tier "ml": its MODEL_DIR',
    })
  } else if (manifest.tier === 'base' && manifest.model !== undefined) {
    problems.push({
      field: 'flotilla.model',
      message: 'is for tier "ml" only: the base tier has no models',
    })
  }
  for (const key of Object.keys(manifest.env ?? {})) {
    // A record's key pattern is not checked by the schema itself.
    if (!new RegExp(ENV_NAME_PATTERN).test(key)) {
      problems.push({ field: `flotilla.env.${key}`, message: `must match ${ENV_NAME_PATTERN}` })
    } else if (KIT_ENV.includes(key)) {
      problems.push({
        field: `flotilla.env.${key}`,
        message: `is set by the stack itself (${KIT_ENV.join(', ')}): choose another name`,
      })
    }
  }
  if (manifest.redisDb !== undefined && manifest.stores.redis !== true) {
    problems.push({
      field: 'flotilla.redisDb',
      message: 'is set but flotilla.stores.redis is not true',
    })
  }
  return problems
}
