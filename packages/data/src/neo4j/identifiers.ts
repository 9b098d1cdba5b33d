import { neo4jLabelOf } from './names.js'

/**
 * Input the graph API refuses: a caller's mistake (or attack), never a server fault. The
 * guard answers it with 400; nothing has reached Neo4j when it is thrown.
 */
export class GraphInputError extends Error {
  constructor(message: string) {
    super(`neo4j: ${message}`)
    this.name = 'GraphInputError'
  }
}

/**
 * Cypher identifiers (labels, relationship types, database/role/user names) cannot be
 * parameters, so they are escaped: wrapped in backticks with every backtick doubled, the
 * documented way to quote one. A name can then never close the quote and add Cypher.
 * Backslashes are refused: Neo4j turns `\u0060` into a backtick before it parses, so a
 * name holding one could close its own quote however its backticks are doubled.
 */
export function escapeIdentifier(name: string): string {
  if (typeof name !== 'string' || name.length === 0)
    throw new GraphInputError('an identifier cannot be empty')
  if (name.includes('\u0000')) throw new GraphInputError('an identifier cannot contain NUL')
  if (name.includes('\\')) throw new GraphInputError('an identifier cannot contain a backslash')
  return `\`${name.replaceAll('`', '``')}\``
}

/** An app's label as resourcesFor derives it (`App_<app name>`); nothing else is one. */
export const LABEL_PATTERN = /^App_[a-z][a-z0-9_]*$/

export function validateLabel(label: unknown): string {
  if (typeof label !== 'string' || !LABEL_PATTERN.test(label))
    throw new GraphInputError(`label ${JSON.stringify(label)} must match ${LABEL_PATTERN}`)
  return label
}

/** An app's label by resourcesFor's rule, for tests and tools; no guard or client derives one. */
export function labelOfApp(app: string): string {
  return validateLabel(neo4jLabelOf(app))
}

export const RELATIONSHIP_TYPE_PATTERN = /^[A-Z][A-Z0-9_]{0,63}$/
export const PROPERTY_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/
/** The key every node is addressed by; set by upsertNode itself, never through props. */
export const ID_KEY = 'id'

export function validateRelationshipType(type: unknown): string {
  if (typeof type !== 'string' || !RELATIONSHIP_TYPE_PATTERN.test(type)) {
    throw new GraphInputError(
      `relationship type ${JSON.stringify(type)} must match ${RELATIONSHIP_TYPE_PATTERN}`,
    )
  }
  return type
}

export function validateNodeId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > 512) {
    throw new GraphInputError(
      `node id must be a string of 1-512 characters, got ${JSON.stringify(id)}`,
    )
  }
  return id
}

export type PropertyValue = string | number | boolean | null | string[] | number[] | boolean[]
export type Properties = Record<string, PropertyValue>

function isScalar(value: unknown): value is string | number | boolean {
  return (
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  )
}

/**
 * Property maps as Neo4j stores them: keys that need no quoting, values that are scalars,
 * homogeneous arrays of scalars, or null (which removes the property on update).
 */
export function validateProperties(props: unknown, what = 'properties'): Properties {
  if (props === null || typeof props !== 'object' || Array.isArray(props)) {
    throw new GraphInputError(`${what} must be an object`)
  }
  if (Object.getPrototypeOf(props) !== Object.prototype && Object.getPrototypeOf(props) !== null) {
    throw new GraphInputError(`${what} must be a plain object`)
  }
  for (const [key, value] of Object.entries(props)) {
    if (!PROPERTY_KEY_PATTERN.test(key)) {
      throw new GraphInputError(
        `property key ${JSON.stringify(key)} must match ${PROPERTY_KEY_PATTERN}`,
      )
    }
    if (key === ID_KEY)
      throw new GraphInputError(`"${ID_KEY}" is the node's key; it cannot be set through ${what}`)
    const valid =
      value === null ||
      isScalar(value) ||
      (Array.isArray(value) &&
        value.every(isScalar) &&
        new Set(value.map((v) => typeof v)).size <= 1)
    if (!valid) {
      throw new GraphInputError(
        `property "${key}" must be a string, finite number, boolean, null or an array of one of those types`,
      )
    }
  }
  return props as Properties
}
