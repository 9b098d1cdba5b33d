/**
 * A generated block inside a hand-written file, between two marker lines. Everything
 * outside the markers is the author's; everything inside belongs to `npm run generate`.
 */
export function beginMarker(block: string): string {
  return `# >>> generated: ${block} (npm run generate; do not edit by hand)`
}

export function endMarker(block: string): string {
  return `# <<< generated: ${block}`
}

export class MarkerError extends Error {
  constructor(file: string, block: string, problem: string) {
    super(`${file}: generated block "${block}": ${problem}`)
    this.name = 'MarkerError'
  }
}

/** `text` with the lines between the markers of `block` replaced by `body`. */
export function replaceBlock(file: string, text: string, block: string, body: string): string {
  const lines = text.split('\n')
  const begin = lines.findIndex((line) => line.trim() === beginMarker(block))
  const end = lines.findIndex((line) => line.trim() === endMarker(block))
  if (begin === -1 || end === -1) {
    throw new MarkerError(
      file,
      block,
      `missing marker lines; the file must contain "${beginMarker(block)}" and "${endMarker(block)}"`,
    )
  }
  if (end < begin) throw new MarkerError(file, block, 'end marker comes before the begin marker')
  const indent = /^\s*/.exec(lines[begin] ?? '')?.[0] ?? ''
  const bodyLines = body === '' ? [] : body.replace(/\n$/, '').split('\n')
  return [
    ...lines.slice(0, begin + 1),
    ...bodyLines.map((line) => (line === '' ? '' : indent + line)),
    ...lines.slice(end),
  ].join('\n')
}
