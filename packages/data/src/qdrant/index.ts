export {
  openQdrant,
  type QdrantClientConfig,
  QdrantScopeError,
  type ScopedQdrant,
} from './client.js'
export {
  DEFAULT_QDRANT_VECTORS,
  DEFAULT_TENANT_FIELD,
  provisionQdrant,
  type QdrantAdmin,
  type QdrantDistance,
  type QdrantProvisionOptions,
  type QdrantVectorParams,
  qdrantAdminClient,
} from './provision.js'
export {
  collectionsInQdrantToken,
  isQdrantTokenCurrent,
  type MintQdrantTokenOptions,
  mintQdrantToken,
  type QdrantCollectionAccess,
  type QdrantTokenClaims,
} from './token.js'
