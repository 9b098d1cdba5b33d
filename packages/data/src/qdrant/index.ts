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
  DEFAULT_QDRANT_TOKEN_POLICY,
  isQdrantTokenCurrent,
  type MintQdrantTokenOptions,
  mintQdrantToken,
  type QdrantCollectionAccess,
  type QdrantTokenClaims,
  type QdrantTokenPolicy,
  qdrantTokenExpiry,
} from './token.js'
