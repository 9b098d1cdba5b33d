// The fleet's markup, shared by the server's first render and the page's refreshes (the
// browser imports this file as is), so both always show the same thing. Plain JavaScript
// checked by TypeScript through JSDoc.

/** @typedef {import('../report.js').StatusReport} StatusReport */
/** @typedef {import('../report.js').AppStatus} AppStatus */
/** @typedef {import('../report.js').ServiceStatus} ServiceStatus */
/** @typedef {import('../report.js').Health} Health */

/** @type {Record<Health, string>} */
const LABELS = { up: '✓ up', degraded: '! degraded', down: '✕ down', unknown: '… checking' }

/**
 * @param {StatusReport} report
 * @returns {string} the inner HTML of the page's `<main>`
 */
export function renderFleet(report) {
  return `${renderSummary(report)}
<section aria-labelledby="apps-title">
  <h2 id="apps-title">Apps</h2>
  <div class="grid">${report.apps.map(renderApp).join('')}</div>
</section>
<section aria-labelledby="services-title">
  <h2 id="services-title">Shared services</h2>
  <div class="grid">${report.services.map(renderService).join('')}</div>
</section>`
}

/** @param {StatusReport} report */
function renderSummary(report) {
  const counts = { up: 0, degraded: 0, down: 0, unknown: 0 }
  for (const target of [...report.apps, ...report.services]) counts[target.status]++
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
  return `<section class="summary status-${overall}" data-overall="${overall}">
  <p class="counts">${parts.join(' ')}</p>
  <p class="checked">checked <time datetime="${escapeHtml(report.generatedAt)}">${clock(report.generatedAt)}</time></p>
</section>`
}

/** @param {AppStatus} app */
function renderApp(app) {
  const meta = [`<code>${escapeHtml(app.route)}</code>`, escapeHtml(app.tier)]
  if (app.profile) meta.push(`profile ${escapeHtml(app.profile)}`)
  if (app.version) meta.push(`v${escapeHtml(app.version)}`)
  return `<article class="card status-${app.status}" data-name="${escapeHtml(app.name)}" data-status="${app.status}">
  <div class="head"><h3>${escapeHtml(app.name)}</h3>${badge(app.status)}</div>
  <p class="meta">${meta.join(' · ')}</p>
  <dl class="stats">
    ${stat('uptime', duration(app.uptimeSeconds))}
    ${stat('req/s', rate(app.requestsPerSecond))}
    ${stat('p95', milliseconds(app.p95Ms))}
    ${stat('memory', bytes(app.memoryBytes))}
  </dl>${detail(app.detail)}
</article>`
}

/** @param {ServiceStatus} service */
function renderService(service) {
  const answer = service.latencyMs === null ? '' : ` · ${milliseconds(service.latencyMs)}`
  return `<article class="card status-${service.status}" data-name="${escapeHtml(service.name)}" data-status="${service.status}">
  <div class="head"><h3>${escapeHtml(service.name)}</h3>${badge(service.status)}</div>
  <p class="meta">${escapeHtml(service.description)} · ${service.probe}${answer}</p>${detail(service.detail)}
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
