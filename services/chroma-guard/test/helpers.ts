import { createHash } from 'node:crypto'
import { ChromaClient, type EmbeddingFunction } from 'chromadb'

/** Deterministic 3-d vectors from a hash of the text, so no embedding model is needed. */
export const tinyEmbeddings: EmbeddingFunction = {
  name: 'test-tiny',
  generate: async (texts: string[]) =>
    texts.map((text) => [...createHash('sha256').update(text).digest().subarray(0, 3)]),
}

export function clientFor(
  guardUrl: string,
  token: string,
  tenant: string,
  header = 'x-chroma-token',
) {
  const { hostname, port } = new URL(guardUrl)
  const value = header === 'authorization' ? `Bearer ${token}` : token
  return new ChromaClient({
    host: hostname,
    port: Number(port),
    tenant,
    database: 'main',
    headers: { [header]: value },
  })
}

/** Every collection of a tenant with all its records, hashed: any change to the data shows. */
export async function tenantChecksum(chromaUrl: string, tenant: string) {
  const base = `${chromaUrl}/api/v2/tenants/${tenant}/databases/main/collections`
  const collections = (await (await fetch(base)).json()) as Array<{ id: string; name: string }>
  const hash = createHash('sha256')
  let records = 0
  for (const { id, name } of collections.sort((a, b) => a.name.localeCompare(b.name))) {
    const response = await fetch(`${base}/${id}/get`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ include: ['documents', 'metadatas', 'embeddings'] }),
    })
    const data = (await response.json()) as { ids: string[] }
    records += data.ids.length
    hash.update(JSON.stringify({ name, data }))
  }
  return { collections: collections.length, records, sha256: hash.digest('hex') }
}
