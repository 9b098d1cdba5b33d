export { type ChromaClientConfig, ScopedChroma } from './client.js'
