import Type, { type Static } from 'typebox'
import { CPUS_PATTERN, MEMORY_PATTERN } from './quantities.js'

/**
 * Collection names must be valid in Qdrant after prefixing (`app__name`) and in Chroma
 * as they are (3-63 chars, alphanumeric at both ends); no `__` keeps the prefix
 * unambiguous.
 */
export const COLLECTION_NAME_PATTERN = '^[a-z](?!.*__)[a-z0-9_]{1,30}[a-z0-9]$'

/** A public path prefix at nginx: "/" or lowercase segments, each followed by "/". */
export const ROUTE_PATTERN = '^/([a-z0-9][a-z0-9_-]*/)*$'

/** An environment variable an app takes from the operator's .env (never a store's: those are the provisioner's). */
export const ENV_NAME_PATTERN = '^[A-Z][A-Z0-9_]{0,63}$'

/** Compose profile names, restricted to lowercase. */
export const PROFILE_PATTERN = '^[a-z0-9][a-z0-9_.-]*$'

/** A model folder of the ML tier (images/ml: /opt/models/<model>, e.g. "embedding"). */
const MODEL_PATTERN = '^[a-z][a-z0-9_-]*$'

const CollectionNames = Type.Array(
  Type.String({
    pattern: COLLECTION_NAME_PATTERN,
    description:
      'a collection name of 3-32 characters: lowercase letters, digits and single "_", starting with a letter and ending with a letter or digit',
  }),
  {
    minItems: 1,
    uniqueItems: true,
    description: 'a non-empty list of distinct collection names (omit the store if it has none)',
  },
)

const Stores = Type.Object(
  {
    postgres: Type.Optional(Type.Boolean({ description: 'true or false' })),
    redis: Type.Optional(Type.Boolean({ description: 'true or false' })),
    qdrant: Type.Optional(CollectionNames),
    chroma: Type.Optional(CollectionNames),
    neo4j: Type.Optional(Type.Boolean({ description: 'true or false' })),
  },
  { additionalProperties: false, description: 'an object of stores the app uses' },
)

const Resources = Type.Object(
  {
    memory: Type.String({
      pattern: MEMORY_PATTERN,
      description: 'a memory limit: a whole number and K, M or G, e.g. "192M" or "1G"',
    }),
    cpus: Type.String({
      pattern: CPUS_PATTERN,
      description: 'a CPU limit as a decimal string, e.g. "0.50" or "2"',
    }),
  },
  { additionalProperties: false, description: 'an object { memory, cpus }' },
)

/** The `"flotilla"` block of an app's package.json. */
export const ManifestSchema = Type.Object(
  {
    tier: Type.Enum(['base', 'ml'], { description: '"base" or "ml"' }),
    route: Type.String({
      pattern: ROUTE_PATTERN,
      description: 'a lowercase path prefix that starts and ends with "/", e.g. "/notes/"',
    }),
    port: Type.Integer({
      minimum: 1024,
      maximum: 65535,
      description: 'an integer port from 1024 to 65535',
    }),
    stores: Stores,
    resources: Resources,
    profile: Type.Union([Type.String({ pattern: PROFILE_PATTERN }), Type.Null()], {
      description: 'null or a lowercase compose profile name, e.g. "ml"',
    }),
    model: Type.Optional(
      Type.String({
        pattern: MODEL_PATTERN,
        description:
          'the ML tier\'s model the app serves, a lowercase folder name, e.g. "embedding"',
      }),
    ),
    redisDb: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 15,
        description: 'a Redis logical DB index from 0 to 15',
      }),
    ),
    env: Type.Optional(
      Type.Record(
        Type.String(),
        Type.String({ minLength: 1, description: 'what the variable is for, for .env.example' }),
        {
          description:
            'an object of the operator settings the app reads: { "VAR": "what it is for" }; each comes from <APP>_VAR in .env, empty when unset',
        },
      ),
    ),
  },
  { additionalProperties: false, description: 'an object' },
)

export type Manifest = Static<typeof ManifestSchema>
export type Tier = Manifest['tier']
export type StoreName = keyof Manifest['stores']

export const STORE_NAMES = Object.keys(Stores.properties) as StoreName[]
