import { Settings } from 'typebox/system'
import { Value } from 'typebox/value'
import { ManifestSchema } from './manifest.js'

/** A manifest problem located by a field path such as `flotilla.stores.qdrant[1]`. */
export interface FieldProblem {
  field: string
  message: string
}

/** Enough for every field of a manifest; TypeBox's default of 8 would hide problems. */
const MAX_ERRORS = 200

/** Every way `value` breaks the manifest schema, one readable message per field. */
export function manifestProblems(value: unknown): FieldProblem[] {
  const errors = allSchemaErrors(value)
  const problems: FieldProblem[] = []
  const byField = new Map<string, typeof errors>()
  for (const error of errors) {
    if (error.keyword === 'additionalProperties') continue // reported per key below
    if (error.keyword === 'boolean' && error.schemaPath.endsWith('/additionalProperties')) {
      problems.push(unknownField(error.instancePath, error.schemaPath))
    } else if (error.keyword === 'required') {
      const missing = (error.params as { requiredProperties: string[] }).requiredProperties
      for (const property of missing) problems.push(missingField(error, property))
    } else {
      const group = byField.get(error.instancePath) ?? []
      group.push(error)
      byField.set(error.instancePath, group)
    }
  }
  for (const [instancePath, group] of byField) {
    // The shortest schema path is the field's own schema, not a branch of a union.
    const fieldSchemaPath = group.map((e) => e.schemaPath).sort((a, b) => a.length - b.length)[0]
    const description = schemaAt(fieldSchemaPath ?? '#')?.description
    const got = `got ${preview(valueAt(value, instancePath))}`
    problems.push({
      field: fieldName(instancePath),
      message: description
        ? `must be ${description}, ${got}`
        : `${group.map((e) => e.message).join('; ')}, ${got}`,
    })
  }
  return problems
}

function allSchemaErrors(value: unknown) {
  const previous = Settings.Get().maxErrors
  Settings.Set({ maxErrors: MAX_ERRORS })
  try {
    return Value.Errors(ManifestSchema, value)
  } finally {
    Settings.Set({ maxErrors: previous })
  }
}

function unknownField(instancePath: string, schemaPath: string): FieldProblem {
  const parent = schemaAt(schemaPath.slice(0, -'/additionalProperties'.length))
  const known = Object.keys(parent?.properties ?? {}).join(', ')
  const what = instancePath.startsWith('/stores/') ? 'store' : 'field'
  return { field: fieldName(instancePath), message: `unknown ${what} (known: ${known})` }
}

function missingField(error: { schemaPath: string; instancePath: string }, property: string) {
  const description = schemaAt(`${error.schemaPath}/properties/${property}`)?.description
  return {
    field: fieldName(`${error.instancePath}/${property}`),
    message: description ? `is required (${description})` : 'is required',
  }
}

function segments(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
}

function fieldName(instancePath: string): string {
  return segments(instancePath).reduce(
    (name, segment) => (/^\d+$/.test(segment) ? `${name}[${segment}]` : `${name}.${segment}`),
    'flotilla',
  )
}

interface SchemaNode {
  description?: string
  properties?: object
}

function schemaAt(schemaPath: string): SchemaNode | undefined {
  return walk(ManifestSchema, segments(schemaPath.replace(/^#/, ''))) as SchemaNode | undefined
}

function valueAt(value: unknown, instancePath: string): unknown {
  return walk(value, segments(instancePath))
}

function walk(node: unknown, path: string[]): unknown {
  return path.reduce<unknown>(
    (current, key) =>
      current !== null && typeof current === 'object'
        ? (current as Record<string, unknown>)[key]
        : undefined,
    node,
  )
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}
