// The fleet's markup, shared by the server's first render and the page's refreshes (the
// browser imports this file as is), so both always show the same thing. Plain JavaScript
// checked by TypeScript through JSDoc.

/** @typedef {import('../report.js').StatusReport} StatusReport */
/** @typedef {import('../report.js').AppStatus} AppStatus */
/** @typedef {import('../report.js').ServiceStatus} ServiceStatus */
/** @typedef {import('../report.js').Health} Health */

/** @typedef {import('../history/types.js').History} History */
/** @typedef {import('../history/types.js').Series} Series */
/** @typedef {import('../history/types.js').HistoryPoint} HistoryPoint */
/** @typedef {import('../history/types.js').Incident} Incident */

/** @type {Record<Health, string>} */
const LABELS = { up: '✓ up', degraded: '! degraded', down: '✕ down', unknown: '… checking' }
const WINDOW_LABELS = { '1h': '1 h', '24h': '24 h' }

/**
 * @param {StatusReport} report
 * @param {History | null} history the charts' data; null while it cannot be read
 * @param {'1h' | '24h'} window
 * @returns {string} the inner HTML of the page's `<main>`
 */
export function renderFleet(report, history, window) {
  /** @param {string} name */
  const seriesOf = (name) => history?.series.find((series) => series.target === name) ?? null
  const span = history && {
    from: Date.parse(history.from),
    to: Date.parse(history.to),
    bucketMs: history.bucketSeconds * 1000,
  }
  return `${renderSummary(report, window)}${renderAlerts(report)}
<section aria-labelledby="apps-title">
  <h2 id="apps-title">Apps</h2>
  <div class="grid">${report.apps.map((app) => renderApp(app, seriesOf(app.name), span, window)).join('')}</div>
</section>
<section aria-labelledby="services-title">
  <h2 id="services-title">Shared services</h2>
  <div class="grid">${report.services.map((service) => renderService(service, seriesOf(service.name), span, window)).join('')}</div>
</section>`
}

/** @param {StatusReport} report @param {'1h' | '24h'} window */
function renderSummary(report, window) {
  const counts = { up: 0, degraded: 0, down: 0, unknown: 0 }
  const targets = [...report.apps, ...report.services]
  for (const target of targets) counts[target.status]++
  const overall =
    counts.down > 0
      ? 'down'
      : counts.degraded > 0
        ? 'degraded'
        : counts.unknown > 0
          ? 'unknown'
          : 'up'
  const parts = /** @type {Health[]} */ (['up', 'degraded', 'down', 'unknown'])
    .filter((status) => counts[status] > 0)
    .map(
      (status) =>
        `<span class="count status-${status}">${counts[status]} ${LABELS[status].split(' ')[1]}</span>`,
    )
  const worst = report.apps
    .filter((app) => app.p95Ms !== null)
    .sort((a, b) => (b.p95Ms ?? 0) - (a.p95Ms ?? 0))[0]
  const appsMemory = report.apps.reduce((total, app) => total + (app.memoryBytes ?? 0), 0)
  const { memoryTotalBytes: total, memoryAvailableBytes: available } = report.machine
  const switches = Object.entries(WINDOW_LABELS)
    .map(
      ([value, label]) =>
        `<a href="?window=${value}" data-window="${value}"${value === window ? ' aria-current="true"' : ''}>${label}</a>`,
    )
    .join('')
  return `<section class="summary status-${overall}" data-overall="${overall}">
  <p class="counts"><strong>${counts.up} of ${targets.length} up</strong> ${parts.join(' ')}</p>
  <dl class="fleet">
    ${stat('worst p95', worst ? `${milliseconds(worst.p95Ms)} <small>${escapeHtml(worst.name)}</small>` : '—')}
    ${stat('apps memory', `${bytes(appsMemory)} <small>of ${bytes(total)}</small>`)}
    ${stat('machine used', `${Math.round(((total - available) / total) * 100)}%`)}
  </dl>
  <p class="checked">checked <time datetime="${escapeHtml(report.generatedAt)}">${clock(report.generatedAt)}</time></p>
  <nav class="window" aria-label="chart span">${switches}</nav>${
    report.historyAvailable
      ? ''
      : '\n  <p class="history-note">history database unreachable: charts paused, live status continues</p>'
  }
</section>`
}

/** @param {StatusReport} report */
function renderAlerts(report) {
  if (report.alerts.length === 0) return ''
  const items = report.alerts
    .map(
      (alert) =>
        `<li data-rule="${alert.rule}" data-target="${escapeHtml(alert.target)}">${escapeHtml(alert.message)} <time datetime="${escapeHtml(alert.since)}">since ${clock(alert.since)}</time></li>`,
    )
    .join('')
  const count = report.alerts.length
  return `
<section class="alerts" role="alert" aria-labelledby="alerts-title">
  <h2 id="alerts-title">${count} alert${count === 1 ? '' : 's'} firing</h2>
  <ul>${items}</ul>
</section>`
}

/**
 * @typedef {{ from: number, to: number, bucketMs: number }} Span
 */

/** @param {AppStatus} app @param {Series | null} series @param {Span | null} span @param {'1h' | '24h'} window */
function renderApp(app, series, span, window) {
  const meta = [`<code>${escapeHtml(app.route)}</code>`, escapeHtml(app.tier)]
  if (app.profile) meta.push(`profile ${escapeHtml(app.profile)}`)
  if (app.version) meta.push(`v${escapeHtml(app.version)}`)
  const memory =
    app.memoryBytes !== null && app.memoryLimitBytes !== null
      ? `${bytes(app.memoryBytes)} <small>/ ${bytes(app.memoryLimitBytes)}</small>`
      : bytes(app.memoryBytes)
  const charts =
    series && span
      ? [
          chart('req/s', series, span, (point) => point.requestsPerSecond, {
            floor: 1,
            format: rate,
          }),
          chart('p95 · p50', series, span, (point) => point.p95Ms, {
            floor: 10,
            format: milliseconds,
            second: (point) => point.p50Ms,
          }),
          chart('5xx', series, span, (point) => point.serverErrorRatio, {
            floor: 0.05,
            format: percent,
          }),
          chart('memory', series, span, (point) => point.memoryBytes, {
            floor: app.memoryLimitBytes ?? 1,
            format: bytes,
            limit: app.memoryLimitBytes,
          }),
        ]
      : []
  return `<article class="card status-${app.status}" data-name="${escapeHtml(app.name)}" data-status="${app.status}">
  <div class="head"><h3>${escapeHtml(app.name)}</h3>${availability(series)}${badge(app.status)}</div>
  <p class="meta">${meta.join(' · ')}</p>
  <dl class="stats">
    ${stat('uptime', duration(app.uptimeSeconds))}
    ${stat('req/s', rate(app.requestsPerSecond))}
    ${stat('p95', milliseconds(app.p95Ms))}
    ${stat('memory', memory)}
  </dl>${detail(app.detail)}${renderCharts(charts, series, window)}
</article>`
}

/** @param {string[]} charts @param {Series | null} series @param {'1h' | '24h'} window */
function renderCharts(charts, series, window) {
  if (charts.length === 0) return ''
  const restarts = series?.points.reduce((total, point) => total + point.restarts, 0) ?? 0
  const incidents = series?.incidents.length ?? 0
  const notes = [
    incidents > 0
      ? `<span class="down-note">${incidents} down period${incidents === 1 ? '' : 's'}</span>`
      : '',
    restarts > 0 ? `<span>${restarts} restart${restarts === 1 ? '' : 's'}</span>` : '',
  ].filter(Boolean)
  return `
  <div class="charts">${charts.join('')}</div>
  <p class="axis"><span>−${WINDOW_LABELS[window]}</span><span>${notes.join(' · ')}</span><span>now</span></p>`
}

/** The share of rounds the target was not down over the window, e.g. "99.9%". */
/** @param {Series | null} series */
function availability(series) {
  if (!series || series.points.length === 0) return ''
  let rounds = 0
  let down = 0
  for (const point of series.points) {
    rounds += point.samples
    down += point.downRatio * point.samples
  }
  const up = ((rounds - down) / rounds) * 100
  const text = up === 100 ? '100%' : `${up >= 99.95 ? '99.9' : up.toFixed(1)}%`
  return `<span class="availability" title="up over the window">${text}</span>`
}

const WIDTH = 300
const HEIGHT = 36

/**
 * One small time-series chart in plain SVG: a line (and an optional second, lighter one)
 * over the window, red bands where the target was down, dashed marks at restarts, and a
 * dashed limit line when one is given. The y axis starts at 0 and reaches at least `floor`.
 *
 * @param {string} label
 * @param {Series} series
 * @param {Span} span
 * @param {(point: HistoryPoint) => number | null} pick
 * @param {{ floor: number, format: (value: number | null) => string,
 *   second?: (point: HistoryPoint) => number | null, limit?: number | null }} options
 */
function chart(label, series, span, pick, options) {
  const values = series.points.map(pick).filter((value) => value !== null)
  const secondValues = options.second
    ? series.points.map(options.second).filter((v) => v !== null)
    : []
  const top = Math.max(options.floor, ...values, ...secondValues, options.limit ?? 0)
  /** @param {number} time */
  const x = (time) => ((time - span.from) / (span.to - span.from)) * WIDTH
  /** @param {number} value */
  const y = (value) => HEIGHT - 1 - (value / top) * (HEIGHT - 3)
  const bands = series.incidents
    .map((incident) => {
      const start = Math.max(span.from, Date.parse(incident.start))
      const end = incident.end === null ? span.to : Math.min(span.to, Date.parse(incident.end))
      const left = x(start)
      // wide enough to see when the outage is seconds long in an hour or a day
      const width = Math.max(4, x(end) - left)
      const what = `down ${clock(incident.start)}–${incident.end ? clock(incident.end) : 'now'}${incident.detail ? `: ${incident.detail}` : ''}`
      return `<rect class="incident" data-start="${escapeHtml(incident.start)}" x="${fixed(Math.min(left, WIDTH - 4))}" y="0" width="${fixed(width)}" height="${HEIGHT}"><title>${escapeHtml(what)}</title></rect>`
    })
    .join('')
  const restarts = series.points
    .filter((point) => point.restarts > 0)
    .map((point) => {
      const at = fixed(x(Date.parse(point.at) + span.bucketMs / 2))
      return `<line class="restart" x1="${at}" x2="${at}" y1="0" y2="${HEIGHT}"><title>restart</title></line>`
    })
    .join('')
  const limit =
    options.limit === undefined || options.limit === null
      ? ''
      : `<line class="limit" x1="0" x2="${WIDTH}" y1="${fixed(y(options.limit))}" y2="${fixed(y(options.limit))}"/>`
  const line = (
    /** @type {(point: HistoryPoint) => number | null} */ read,
    /** @type {string} */ kind,
  ) => {
    const path = linePath(series.points, read, span, x, y)
    return path ? `<path class="${kind}" d="${path}"/>` : ''
  }
  const latest = [...series.points].reverse().find((point) => pick(point) !== null)
  const current = latest ? pick(latest) : null
  return `<figure class="chart" data-metric="${escapeHtml(label)}">
  <figcaption><span>${escapeHtml(label)}</span><span>${values.length > 0 ? `max ${options.format(Math.max(...values))}` : 'no data'}</span></figcaption>
  <svg viewBox="0 0 ${WIDTH} ${HEIGHT}" preserveAspectRatio="none" role="img" aria-label="${escapeHtml(`${label}, latest ${options.format(current)}`)}">${bands}${restarts}${limit}${options.second ? line(options.second, 'second') : ''}${line(pick, 'first')}</svg>
</figure>`
}

/**
 * An SVG path through the points, broken where a value is missing or rounds are absent (the
 * status app was not running), so a gap is drawn as a gap.
 *
 * @param {HistoryPoint[]} points
 * @param {(point: HistoryPoint) => number | null} read
 * @param {Span} span
 * @param {(time: number) => number} x
 * @param {(value: number) => number} y
 */
function linePath(points, read, span, x, y) {
  let path = ''
  let previous = Number.NEGATIVE_INFINITY
  for (const point of points) {
    const value = read(point)
    const time = Date.parse(point.at) + span.bucketMs / 2
    if (value === null) {
      previous = Number.NEGATIVE_INFINITY
      continue
    }
    const joined = time - previous <= span.bucketMs * 2.5
    path += `${joined ? 'L' : 'M'}${fixed(x(time))} ${fixed(y(value))}`
    // A lone point would be invisible: draw it as a short flat stroke.
    if (!joined) path += `h0.01`
    previous = time
  }
  return path
}

/** @param {number} value */
function fixed(value) {
  return String(Math.round(value * 10) / 10)
}

/** @param {ServiceStatus} service @param {Series | null} series @param {Span | null} span @param {'1h' | '24h'} window */
function renderService(service, series, span, window) {
  const answer = service.latencyMs === null ? '' : ` · ${milliseconds(service.latencyMs)}`
  const charts =
    series && span
      ? [
          chart('probe time', series, span, (point) => point.latencyMs, {
            floor: 5,
            format: milliseconds,
          }),
        ]
      : []
  return `<article class="card status-${service.status}" data-name="${escapeHtml(service.name)}" data-status="${service.status}">
  <div class="head"><h3>${escapeHtml(service.name)}</h3>${availability(series)}${badge(service.status)}</div>
  <p class="meta">${escapeHtml(service.description)} · ${service.probe}${answer}</p>${detail(service.detail)}${renderCharts(charts, series, window)}
</article>`
}

/** @param {Health} status */
function badge(status) {
  return `<span class="badge">${LABELS[status]}</span>`
}

/** @param {string} term @param {string} value */
function stat(term, value) {
  return `<div><dt>${term}</dt><dd>${value}</dd></div>`
}

/** @param {string | null} text */
function detail(text) {
  return text ? `\n  <p class="detail">${escapeHtml(text)}</p>` : ''
}

/** @param {number | null} seconds */
function duration(seconds) {
  if (seconds === null) return '—'
  if (seconds < 60) return `${seconds} s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes} m`
  const hours = Math.floor(minutes / 60)
  if (hours < 24) return `${hours} h ${String(minutes % 60).padStart(2, '0')} m`
  return `${Math.floor(hours / 24)} d ${String(hours % 24).padStart(2, '0')} h`
}

/** @param {number | null} perSecond */
function rate(perSecond) {
  if (perSecond === null) return '—'
  return perSecond < 10 ? perSecond.toFixed(1) : String(Math.round(perSecond))
}

/** @param {number | null} ms */
function milliseconds(ms) {
  if (ms === null) return '—'
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)} s`
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`
}

/** @param {number | null} ratio */
function percent(ratio) {
  if (ratio === null) return '—'
  return ratio === 0 ? '0%' : `${(ratio * 100).toFixed(ratio < 0.1 ? 1 : 0)}%`
}

/** @param {number | null} count */
function bytes(count) {
  if (count === null) return '—'
  const mib = count / 1024 / 1024
  return mib >= 1024 ? `${(mib / 1024).toFixed(1)} GiB` : `${Math.round(mib)} MiB`
}

/** @param {string} iso */
function clock(iso) {
  return `${escapeHtml(iso.slice(11, 19))} UTC`
}

/** @param {string} text */
function escapeHtml(text) {
  return String(text)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
}
