import { type Static, type TSchema, Type } from 'typebox'
import { MAX_BATCH, MAX_DEPTH, MAX_NEIGHBOURS } from './cypher.js'
import { LABEL_PATTERN, PROPERTY_KEY_PATTERN, RELATIONSHIP_TYPE_PATTERN } from './identifiers.js'

/**
 * The wire contract between neo4j-guard and its client (openGraph in community mode): one
 * route per AppGraph primitive, values in JSON bodies (never in the path, so no id has to
 * survive URL decoding), the app and its label named only by the bearer token's claims.
 */

const NodeId = Type.String({ minLength: 1, maxLength: 512 })
const RelationshipType = Type.String({ pattern: RELATIONSHIP_TYPE_PATTERN.source })
const PropertyValue = Type.Union([
  Type.Null(),
  Type.String(),
  Type.Number(),
  Type.Boolean(),
  Type.Array(Type.String()),
  Type.Array(Type.Number()),
  Type.Array(Type.Boolean()),
])
/** Keys as validateProperties allows them; `id` is refused there, with its own message. */
const Properties = Type.Record(Type.String({ pattern: PROPERTY_KEY_PATTERN.source }), PropertyValue)
/** What Neo4j returns: the node's id among its properties. */
const StoredProperties = Type.Record(Type.String(), PropertyValue)
const Strict = { additionalProperties: false } as const
const BatchSize = Type.Integer({ minimum: 1, maximum: MAX_BATCH })
/** Cursor parts: '' starts an export; otherwise an id or a type from the previous page. */
const Cursor = Type.String({ maxLength: 512 })
const LinkCursor = Type.Object({ from: Cursor, type: Cursor, to: Cursor }, Strict)
const LinkRow = Type.Object({ from: NodeId, to: NodeId, props: Properties }, Strict)

interface Route {
  method: 'GET' | 'POST'
  path: string
  body?: TSchema
  response: TSchema
}

const route = <R extends Route>(r: R) => r

export const GUARD_ROUTES = {
  /** The token's app and label, once Neo4j answers: the client's readiness check. */
  ready: route({
    method: 'GET',
    path: '/v1/ready',
    response: Type.Object({
      app: Type.String(),
      label: Type.String({ pattern: LABEL_PATTERN.source }),
    }),
  }),
  upsertNode: route({
    method: 'POST',
    path: '/v1/nodes/upsert',
    body: Type.Object({ id: NodeId, props: Type.Optional(Properties) }, Strict),
    response: Type.Object({ node: StoredProperties }),
  }),
  getNode: route({
    method: 'POST',
    path: '/v1/nodes/get',
    body: Type.Object({ id: NodeId }, Strict),
    response: Type.Object({ node: Type.Union([StoredProperties, Type.Null()]) }),
  }),
  deleteNode: route({
    method: 'POST',
    path: '/v1/nodes/delete',
    body: Type.Object({ id: NodeId }, Strict),
    response: Type.Object({ deleted: Type.Boolean() }),
  }),
  countNodes: route({
    method: 'GET',
    path: '/v1/nodes/count',
    response: Type.Object({ count: Type.Integer() }),
  }),
  link: route({
    method: 'POST',
    path: '/v1/links/link',
    body: Type.Object(
      { from: NodeId, to: NodeId, type: RelationshipType, props: Type.Optional(Properties) },
      Strict,
    ),
    response: Type.Object({ linked: Type.Boolean() }),
  }),
  unlink: route({
    method: 'POST',
    path: '/v1/links/unlink',
    body: Type.Object({ from: NodeId, to: NodeId, type: RelationshipType }, Strict),
    response: Type.Object({ unlinked: Type.Boolean() }),
  }),
  countLinks: route({
    method: 'GET',
    path: '/v1/links/count',
    response: Type.Object({ count: Type.Integer() }),
  }),
  neighbours: route({
    method: 'POST',
    path: '/v1/neighbours',
    body: Type.Object(
      {
        id: NodeId,
        type: Type.Optional(RelationshipType),
        depth: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_DEPTH })),
        direction: Type.Optional(
          Type.Union([Type.Literal('out'), Type.Literal('in'), Type.Literal('both')]),
        ),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_NEIGHBOURS })),
      },
      Strict,
    ),
    response: Type.Object({ nodes: Type.Array(StoredProperties) }),
  }),
  exportNodes: route({
    method: 'POST',
    path: '/v1/export/nodes',
    body: Type.Object({ after: Cursor, pageSize: BatchSize }, Strict),
    response: Type.Object({
      nodes: Type.Array(Type.Object({ id: Type.String(), props: StoredProperties })),
    }),
  }),
  exportLinks: route({
    method: 'POST',
    path: '/v1/export/links',
    body: Type.Object({ after: LinkCursor, pageSize: BatchSize }, Strict),
    response: Type.Object({
      links: Type.Array(
        Type.Object({
          from: Type.String(),
          type: Type.String(),
          to: Type.String(),
          props: StoredProperties,
        }),
      ),
    }),
  }),
  importNodes: route({
    method: 'POST',
    path: '/v1/import/nodes',
    body: Type.Object(
      {
        nodes: Type.Array(Type.Object({ id: NodeId, props: Properties }, Strict), {
          minItems: 1,
          maxItems: MAX_BATCH,
        }),
      },
      Strict,
    ),
    response: Type.Object({ imported: Type.Integer() }),
  }),
  importLinks: route({
    method: 'POST',
    path: '/v1/import/links',
    body: Type.Object(
      {
        type: RelationshipType,
        links: Type.Array(LinkRow, { minItems: 1, maxItems: MAX_BATCH }),
      },
      Strict,
    ),
    response: Type.Object({ linked: Type.Integer() }),
  }),
  clear: route({
    method: 'POST',
    path: '/v1/clear',
    body: Type.Object({ batchSize: BatchSize }, Strict),
    response: Type.Object({ deleted: Type.Integer() }),
  }),
} as const

export type GuardRoutes = typeof GUARD_ROUTES
export type GuardBody<K extends keyof GuardRoutes> = GuardRoutes[K] extends {
  body: infer B extends TSchema
}
  ? Static<B>
  : never
export type GuardResponse<K extends keyof GuardRoutes> = Static<GuardRoutes[K]['response']>
