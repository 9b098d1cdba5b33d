import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { STORE_NAMES, type StoreName } from '../manifest.js'

/**
 * The service an app using the store waits for (healthy): Chroma and Neo4j apps reach their
 * store only through its guard. Each must be a service of the store's compose.yml.
 */
export const STORE_SERVICE: Record<StoreName, string> = {
  postgres: 'postgres',
  redis: 'redis',
  qdrant: 'qdrant',
  chroma: 'chroma-guard',
  neo4j: 'neo4j-guard',
}

/**
 * A store's compose fragment, read by path: @flotilla/data depends on this package, so it is
 * never imported from here.
 */
export const storeComposeFile = (store: StoreName) => `packages/data/src/${store}/compose.yml`

export class StoreComposeError extends Error {
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`)
    this.name = 'StoreComposeError'
  }
}

/** One store's compose.yml: the lines under its `services:` and `volumes:`, one level out. */
export interface StoreCompose {
  store: StoreName
  services: string[]
  volumes: string[]
  /** The names of its services, in file order. */
  serviceNames: string[]
}

const SECTIONS = ['services', 'volumes'] as const

/**
 * Reads a fragment as text, never as YAML: comments and layout reach docker-compose.yml as
 * written, and the aliases it uses (`*app`) are anchored in docker-compose.yml alone.
 */
export function parseStoreCompose(store: StoreName, text: string): StoreCompose {
  const file = storeComposeFile(store)
  const sections: Record<(typeof SECTIONS)[number], string[]> = { services: [], volumes: [] }
  let section: string[] | undefined
  for (const [index, line] of text.split('\n').entries()) {
    const key = /^([^\s#][^:]*):\s*$/.exec(line)?.[1]
    if (key !== undefined) {
      if (!(SECTIONS as readonly string[]).includes(key)) {
        throw new StoreComposeError(file, `line ${index + 1}: "${key}" is not services or volumes`)
      }
      section = sections[key as (typeof SECTIONS)[number]]
      continue
    }
    // Comments above the first key describe the file; they are not copied.
    if (section === undefined && (line === '' || line.startsWith('#'))) continue
    if (section === undefined || !(line === '' || line.startsWith('  '))) {
      throw new StoreComposeError(
        file,
        `line ${index + 1}: expected "services:", "volumes:" or a line indented under them`,
      )
    }
    section.push(line.slice(2))
  }
  for (const lines of Object.values(sections)) {
    while (lines.at(-1) === '') lines.pop()
  }
  const serviceNames = sections.services.flatMap(
    (line) => /^([a-z0-9][a-z0-9_.-]*):\s*$/.exec(line)?.[1] ?? [],
  )
  if (!serviceNames.includes(STORE_SERVICE[store])) {
    throw new StoreComposeError(
      file,
      `no service "${STORE_SERVICE[store]}", the one its apps wait for (STORE_SERVICE)`,
    )
  }
  return { store, ...sections, serviceNames }
}

/** Every store's fragment, in the registry's store order. */
export async function readStoreComposes(root: string): Promise<StoreCompose[]> {
  return Promise.all(
    STORE_NAMES.map(async (store) => {
      const text = await readFile(join(root, storeComposeFile(store)), 'utf8').catch(
        (error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error
          throw new StoreComposeError(storeComposeFile(store), 'not found; every store has one')
        },
      )
      return parseStoreCompose(store, text)
    }),
  )
}

/** docker-compose.yml's `stores` block: every store's services, a blank line between stores. */
export function composeStoreServices(stores: readonly StoreCompose[]): string {
  return `${stores.map((store) => store.services.join('\n')).join('\n\n')}\n`
}

/** docker-compose.yml's `store-volumes` block: the named volumes the stores' services own. */
export function composeStoreVolumes(stores: readonly StoreCompose[]): string {
  const volumes = stores.flatMap((store) => store.volumes)
  return volumes.length === 0 ? '' : `${volumes.join('\n')}\n`
}
