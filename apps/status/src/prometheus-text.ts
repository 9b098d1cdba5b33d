/** One line of the Prometheus text exposition format: `name{label="value",…} value [timestamp]`. */
export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

const NAME = /[a-zA-Z_:][a-zA-Z0-9_:]*/y
const LABEL_NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y
const ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', n: '\n' }

/**
 * Parses every sample line of a scrape (comments and blank lines skipped). Histograms stay as
 * their `_bucket` / `_sum` / `_count` series. A malformed line is an error naming its number.
 */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = []
  text.split('\n').forEach((rawLine, index) => {
    const line = rawLine.trim()
    if (line === '' || line.startsWith('#')) return
    try {
      samples.push(parseLine(line))
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      throw new Error(`metrics line ${index + 1}: ${reason}: ${line.slice(0, 120)}`)
    }
  })
  return samples
}

function parseLine(line: string): Sample {
  const name = matchAt(NAME, line, 0, 'metric name')
  let position = name.length
  const labels: Record<string, string> = {}
  if (line[position] === '{') {
    position++
    while (line[position] !== '}') {
      const label = matchAt(LABEL_NAME, line, position, 'label name')
      position += label.length
      if (line.slice(position, position + 2) !== '="') throw new Error(`expected =" after ${label}`)
      position += 2
      let value = ''
      while (line[position] !== '"') {
        if (position >= line.length) throw new Error(`unterminated value of ${label}`)
        if (line[position] === '\\') {
          const escaped = ESCAPES[line[position + 1] ?? '']
          if (escaped === undefined) throw new Error(`bad escape in value of ${label}`)
          value += escaped
          position += 2
        } else {
          value += line[position]
          position++
        }
      }
      labels[label] = value
      position++
      if (line[position] === ',') position++
      else if (line[position] !== '}') throw new Error(`expected , or } after ${label}`)
    }
    position++
  }
  const [valueText, timestamp, ...rest] = line.slice(position).trim().split(/\s+/)
  if (
    valueText === undefined ||
    valueText === '' ||
    rest.length > 0 ||
    (timestamp && !/^-?\d+$/.test(timestamp))
  ) {
    throw new Error('expected a value and an optional integer timestamp')
  }
  return { name, labels, value: parseValue(valueText) }
}

function matchAt(pattern: RegExp, line: string, position: number, what: string): string {
  pattern.lastIndex = position
  const match = pattern.exec(line)
  if (match === null) throw new Error(`expected a ${what} at column ${position + 1}`)
  return match[0]
}

/** Go's ParseFloat spellings, which Prometheus accepts: prom-client writes `Nan`. */
function parseValue(text: string): number {
  const special = text.toLowerCase().replace(/^\+/, '')
  if (special === 'nan') return Number.NaN
  if (special === 'inf' || special === 'infinity') return Number.POSITIVE_INFINITY
  if (special === '-inf' || special === '-infinity') return Number.NEGATIVE_INFINITY
  const value = Number(text)
  if (Number.isNaN(value)) throw new Error(`value is not a number: ${text}`)
  return value
}
