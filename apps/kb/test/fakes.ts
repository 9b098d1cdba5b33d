/**
 * In-process stand-ins for Qdrant and Neo4j, which cannot run on this machine. They
 * implement the same interfaces kb takes from @flotilla/data (VectorStore ⊂ ScopedQdrant,
 * DocumentGraph ⊂ AppGraph) with the documented semantics kb relies on, and can be
 * "down": every call then fails the way a refused connection does.
 */
import type { DocumentGraph, VectorStore } from '../src/indexing/stores.js'

type Properties = Awaited<ReturnType<DocumentGraph['upsertNode']>>

function refused(store: string): Error {
  return Object.assign(new Error(`connect ECONNREFUSED (${store} is down)`), {
    code: 'ECONNREFUSED',
  })
}

interface StoredPoint {
  vector: number[]
  payload: Record<string, unknown>
}

type Upsert = VectorStore['upsert']
type Delete = VectorStore['delete']
type Search = VectorStore['search']

export class FakeQdrant implements VectorStore {
  readonly points = new Map<string, StoredPoint>()
  down = false
  readonly #full: string

  /** One collection, `{ name: full name }` as the credentials map it. */
  constructor(private readonly byName: Record<string, string>) {
    const names = Object.values(byName)
    if (names.length !== 1) throw new Error('fake qdrant: exactly one collection')
    this.#full = names[0] as string
  }

  readonly readiness = {
    name: 'qdrant',
    required: false,
    check: async () => this.#guard(this.#full),
  }

  collection(name: string): string {
    const full = this.byName[name]
    if (full === undefined) throw new Error(`fake qdrant: no collection "${name}"`)
    return full
  }

  #guard(collection: string): void {
    if (this.down) throw refused('qdrant')
    if (collection !== this.#full)
      throw new Error(`fake qdrant: collection "${collection}" is not "${this.#full}"`)
  }

  async upsert(...[collection, request]: Parameters<Upsert>): ReturnType<Upsert> {
    this.#guard(collection)
    if (!('points' in request)) throw new Error('fake qdrant: only the points form is supported')
    for (const point of request.points) {
      if (!Array.isArray(point.vector) || !point.vector.every((x) => typeof x === 'number'))
        throw new Error('fake qdrant: only single unnamed vectors are supported')
      const dimension = this.#dimension()
      if (dimension !== undefined && point.vector.length !== dimension)
        throw new Error(
          `fake qdrant: vector of ${point.vector.length} dims, collection has ${dimension}`,
        )
      this.points.set(String(point.id), {
        vector: point.vector as number[],
        payload: { ...(point.payload ?? {}) },
      })
    }
    return { operation_id: 0, status: 'completed' }
  }

  async delete(...[collection, request]: Parameters<Delete>): ReturnType<Delete> {
    this.#guard(collection)
    if (!('points' in request) || !request.points)
      throw new Error('fake qdrant: only deleting by point ids is supported')
    for (const id of request.points) this.points.delete(String(id))
    return { operation_id: 0, status: 'completed' }
  }

  async search(...[collection, request]: Parameters<Search>): ReturnType<Search> {
    this.#guard(collection)
    const query = request.vector
    if (!Array.isArray(query)) throw new Error('fake qdrant: only unnamed vector queries')
    return [...this.points.entries()]
      .map(([id, point]) => ({
        id: Number(id),
        version: 0,
        score: cosine(query as number[], point.vector),
        ...(request.with_payload ? { payload: point.payload } : {}),
      }))
      .sort((a, b) => b.score - a.score)
      .slice(0, request.limit ?? 10)
  }

  #dimension(): number | undefined {
    for (const point of this.points.values()) return point.vector.length
    return undefined
  }
}

function cosine(a: number[], b: number[]): number {
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] ?? 0) * (b[i] ?? 0)
    na += (a[i] ?? 0) ** 2
    nb += (b[i] ?? 0) ** 2
  }
  return dot / Math.sqrt(na * nb)
}

interface Edge {
  from: string
  to: string
  type: string
}

type Neighbours = DocumentGraph['neighbours']

export class FakeGraph implements DocumentGraph {
  readonly nodes = new Map<string, Properties>()
  edges: Edge[] = []
  down = false

  readonly readiness = {
    name: 'neo4j',
    required: false,
    check: async () => this.#guard(),
  }

  #guard(): void {
    if (this.down) throw refused('neo4j')
  }

  async upsertNode(id: string, props: Properties = {}): Promise<Properties> {
    this.#guard()
    const node = { ...(this.nodes.get(id) ?? {}), ...props, id }
    this.nodes.set(id, node)
    return node
  }

  async deleteNode(id: string): Promise<boolean> {
    this.#guard()
    this.edges = this.edges.filter((edge) => edge.from !== id && edge.to !== id)
    return this.nodes.delete(id)
  }

  async link(from: string, to: string, type: string): Promise<boolean> {
    this.#guard()
    if (!this.nodes.has(from) || !this.nodes.has(to)) return false
    if (!this.hasEdge(from, to, type)) this.edges.push({ from, to, type })
    return true
  }

  async unlink(from: string, to: string, type: string): Promise<boolean> {
    this.#guard()
    const before = this.edges.length
    this.edges = this.edges.filter((e) => !(e.from === from && e.to === to && e.type === type))
    return this.edges.length < before
  }

  /** AppGraph's semantics: nodes within `depth` hops, the start excluded, ordered by id. */
  async neighbours(...[id, options = {}]: Parameters<Neighbours>): ReturnType<Neighbours> {
    this.#guard()
    const { type, depth = 1, direction = 'both', limit = 100 } = options
    const seen = new Set([id])
    let frontier = [id]
    for (let hop = 0; hop < depth; hop++) {
      const next: string[] = []
      for (const edge of this.edges) {
        if (type && edge.type !== type) continue
        for (const at of frontier) {
          const reached =
            (direction !== 'in' && edge.from === at && edge.to) ||
            (direction !== 'out' && edge.to === at && edge.from)
          if (reached && !seen.has(reached)) {
            seen.add(reached)
            next.push(reached)
          }
        }
      }
      frontier = next
    }
    seen.delete(id)
    return [...seen]
      .sort()
      .slice(0, limit)
      .map((nodeId) => this.nodes.get(nodeId) as Properties)
  }

  hasEdge(from: string, to: string, type: string): boolean {
    return this.edges.some((e) => e.from === from && e.to === to && e.type === type)
  }
}
