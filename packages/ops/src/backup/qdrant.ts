import { readFile, writeFile } from 'node:fs/promises'

/**
 * Qdrant over its REST snapshot API. `apiKey` is the app's JWT (from its credential file) for
 * snapshots and counts; uploading a snapshot needs the server's API key (the provisioner's),
 * as Qdrant's RBAC only lets global manage access replace a collection.
 */
export interface QdrantAccess {
  url: string
  apiKey: string
}

async function call(
  access: QdrantAccess,
  method: string,
  path: string,
  body?: string | FormData,
  type?: string,
) {
  const response = await fetch(`${access.url.replace(/\/$/, '')}${path}`, {
    method,
    headers: { 'api-key': access.apiKey, ...(type && { 'content-type': type }) },
    ...(body !== undefined && { body }),
  })
  if (!response.ok) {
    // App tokens expire: scripts/provision renews them (and rewrites the credential file).
    const hint =
      response.status === 401 || response.status === 403
        ? ' (the key was refused: an expired app token is renewed by scripts/provision)'
        : ''
    throw new Error(
      `qdrant ${method} ${path}: HTTP ${response.status} ${await response.text()}${hint}`,
    )
  }
  return response
}

const collectionPath = (collection: string) => `/collections/${encodeURIComponent(collection)}`

/** Snapshot of one collection, downloaded to `file` and deleted from the server. */
export async function snapshotCollection(access: QdrantAccess, collection: string, file: string) {
  const created = (await (
    await call(access, 'POST', `${collectionPath(collection)}/snapshots?wait=true`)
  ).json()) as {
    result: { name: string }
  }
  const snapshot = `${collectionPath(collection)}/snapshots/${encodeURIComponent(created.result.name)}`
  const download = await call(access, 'GET', snapshot)
  await writeFile(file, Buffer.from(await download.arrayBuffer()))
  await call(access, 'DELETE', snapshot)
}

/** Replaces the collection with the snapshot's content (upload + recover, snapshot wins). */
export async function restoreCollection(access: QdrantAccess, collection: string, file: string) {
  const form = new FormData()
  form.append('snapshot', new Blob([await readFile(file)]), `${collection}.snapshot`)
  await call(
    access,
    'POST',
    `${collectionPath(collection)}/snapshots/upload?priority=snapshot&wait=true`,
    form,
  )
}

export async function countPoints(access: QdrantAccess, collection: string): Promise<number> {
  const response = await call(
    access,
    'POST',
    `${collectionPath(collection)}/points/count`,
    JSON.stringify({ exact: true }),
    'application/json',
  )
  return ((await response.json()) as { result: { count: number } }).result.count
}
