import type { History, Window } from '../history/types.js'
import type { StatusReport } from '../report.js'
import { renderFleet } from './render.js'

/** Where the page loads its renderer from, relative to the page (nginx serves it at "/"). */
export const RENDER_SCRIPT_PATH = '/assets/render.js'

const STYLE = `
:root { color-scheme: light dark; --bg: #f6f8fa; --card: #fff; --text: #1f2328; --muted: #59636e;
  --line: #d1d9e0; --line-color: #0969da; --up: #1a7f37; --degraded: #9a6700; --down: #cf222e; --unknown: #59636e; }
@media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --card: #151b23; --text: #e6edf3;
  --muted: #9198a1; --line: #3d444d; --line-color: #4493f8; --up: #3fb950; --degraded: #d29922; --down: #f85149; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  background: var(--bg); color: var(--text); }
header, main { max-width: 72rem; margin: 0 auto; padding: 0 1rem; }
header { display: flex; align-items: baseline; justify-content: space-between; gap: 1rem; padding-top: 1rem; }
h1 { font-size: 1.4rem; margin: 0; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
h3 { font-size: 1.05rem; margin: 0; overflow-wrap: anywhere; }
.stale-note { display: none; color: var(--degraded); font-size: .9rem; }
body.stale .stale-note { display: inline; }
.summary { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: center; gap: .5rem;
  margin-top: 1rem; padding: .75rem 1rem; border-radius: .5rem; background: var(--card);
  border: 1px solid var(--line); border-left: .4rem solid var(--status); }
.summary p { margin: 0; }
.counts strong { margin-right: .75rem; }
.fleet { display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; margin: 0; }
.fleet dt { color: var(--muted); font-size: .75rem; text-transform: uppercase; }
.fleet dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
small { font-weight: 400; color: var(--muted); font-size: .8em; }
.window { display: flex; border: 1px solid var(--line); border-radius: .4rem; overflow: hidden; }
.window a { padding: .3rem .8rem; color: var(--text); text-decoration: none; font-size: .9rem; }
.window a[aria-current] { background: var(--text); color: var(--card); font-weight: 600; }
.history-note { flex-basis: 100%; color: var(--degraded); font-size: .9rem; }
.alerts { margin-top: .75rem; padding: .5rem 1rem; border-radius: .5rem; background: var(--card);
  border: 1px solid var(--down); border-left: .4rem solid var(--down); }
.alerts h2 { margin: .25rem 0; color: var(--down); }
.alerts ul { margin: 0 0 .25rem; padding-left: 1.2rem; }
.alerts time { color: var(--muted); font-size: .85rem; white-space: nowrap; }
.availability { margin-left: auto; color: var(--muted); font-size: .85rem; font-variant-numeric: tabular-nums; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: .4rem .75rem; margin-top: .6rem; }
.chart { margin: 0; min-width: 0; }
.chart:only-child { grid-column: 1 / -1; }
.chart figcaption { display: flex; justify-content: space-between; color: var(--muted); font-size: .7rem;
  text-transform: uppercase; }
.chart svg { display: block; width: 100%; height: 2.25rem; background: var(--bg); border-radius: .2rem; }
.chart path { fill: none; stroke-width: 1.5; vector-effect: non-scaling-stroke; stroke-linejoin: round; }
.chart path.first { stroke: var(--line-color); }
.chart path.second { stroke: var(--line-color); opacity: .45; }
.chart .incident { fill: var(--down); opacity: .35; }
.chart .restart { stroke: var(--degraded); stroke-dasharray: 2 2; vector-effect: non-scaling-stroke; }
.chart .limit { stroke: var(--muted); stroke-dasharray: 4 3; vector-effect: non-scaling-stroke; }
.axis { display: flex; justify-content: space-between; gap: .5rem; margin: .2rem 0 0; color: var(--muted); font-size: .75rem; }
.down-note { color: var(--down); }
.count { font-weight: 600; color: var(--status); margin-right: .75rem; }
.checked { color: var(--muted); font-size: .9rem; }
.grid { display: grid; gap: .75rem; grid-template-columns: repeat(auto-fill, minmax(min(100%, 20rem), 1fr)); }
.card { background: var(--card); border: 1px solid var(--line); border-left: .4rem solid var(--status);
  border-radius: .5rem; padding: .75rem 1rem; }
.head { display: flex; justify-content: space-between; align-items: center; gap: .5rem; }
.badge { flex: none; font-size: .85rem; font-weight: 700; text-transform: uppercase; letter-spacing: .03em;
  color: #fff; background: var(--status); padding: .15rem .5rem; border-radius: 1rem; }
.meta { color: var(--muted); font-size: .9rem; margin: .35rem 0 0; overflow-wrap: anywhere; }
.stats { display: grid; grid-template-columns: repeat(4, auto); justify-content: space-between; gap: .25rem .75rem; margin: .6rem 0 0; }
.stats dt { color: var(--muted); font-size: .75rem; text-transform: uppercase; }
.stats dd { margin: 0; font-variant-numeric: tabular-nums; font-weight: 600; white-space: nowrap; }
.detail { margin: .5rem 0 0; font-size: .85rem; color: var(--status); overflow-wrap: anywhere; }
.status-up { --status: var(--up); } .status-degraded { --status: var(--degraded); }
.status-down { --status: var(--down); } .status-unknown { --status: var(--unknown); }
footer { max-width: 72rem; margin: 1.5rem auto; padding: 0 1rem; color: var(--muted); font-size: .85rem; }
`

/**
 * The whole page, rendered on the server so it reads without JavaScript; the inline module
 * then re-renders <main> from /api/status and /api/history every poll interval, keeps the
 * last charts when the history cannot be read, switches the chart span without a reload, and
 * marks the page stale when the status app itself stops answering.
 */
export function renderPage(report: StatusReport, history: History | null, window: Window): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>flotilla · status</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>flotilla status</h1><span class="stale-note" role="status">status app not answering; showing last known</span></header>
<main id="fleet" data-refresh-ms="${report.pollIntervalMs}" data-window="${window}">
${renderFleet(report, history, window)}
</main>
<footer>Refreshes every ${Math.round(report.pollIntervalMs / 100) / 10} s · JSON at <a href="api/status">api/status</a>, <a href="api/history">api/history</a>, <a href="api/alerts">api/alerts</a></footer>
<script type="module">
import { renderFleet } from '.${RENDER_SCRIPT_PATH}'
const main = document.getElementById('fleet')
const every = Number(main.dataset.refreshMs)
let window_ = main.dataset.window
let charts = null
let timer
async function json(path) {
  const response = await fetch(path, { cache: 'no-store' })
  if (!response.ok) throw new Error('HTTP ' + response.status)
  return response.json()
}
async function refresh() {
  clearTimeout(timer)
  try {
    const [report, latest] = await Promise.all([
      json('api/status'),
      json('api/history?window=' + window_).catch(() => null),
    ])
    if (latest && latest.window === window_) charts = latest
    main.innerHTML = renderFleet(report, charts && charts.window === window_ ? charts : null, window_)
    document.body.classList.remove('stale')
  } catch {
    document.body.classList.add('stale')
  }
  timer = setTimeout(refresh, every)
}
main.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-window]')
  if (!link) return
  event.preventDefault()
  window_ = link.dataset.window
  main.dataset.window = window_
  history.replaceState(null, '', '?window=' + window_)
  refresh()
})
timer = setTimeout(refresh, every)
</script>
</body>
</html>
`
}
