export {
  openQdrant,
  type QdrantClientConfig,
  QdrantScopeError,
  type ScopedQdrant,
} from './client.js'
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
