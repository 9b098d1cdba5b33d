/**
 * One label holds all of kb's nodes, so the id says what a node is: `doc:<id>` for a
 * document, `tag:<name>` for a tag. Edges: doc -TAGGED-> tag, doc -LINKS_TO-> doc.
 */
export const TAGGED = 'TAGGED'
export const LINKS_TO = 'LINKS_TO'

export const docNodeId = (id: number): string => `doc:${id}`
export const tagNodeId = (tag: string): string => `tag:${tag}`

/** The document id of a `doc:` node, undefined for any other node. */
export function documentIdOf(nodeId: unknown): number | undefined {
  if (typeof nodeId !== 'string' || !nodeId.startsWith('doc:')) return undefined
  const id = Number(nodeId.slice(4))
  return Number.isInteger(id) ? id : undefined
}

export function tagOf(nodeId: unknown): string | undefined {
  return typeof nodeId === 'string' && nodeId.startsWith('tag:') ? nodeId.slice(4) : undefined
}
