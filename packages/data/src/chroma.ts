export { type ChromaClientConfig, ScopedChroma } from './clients/chroma.js'
