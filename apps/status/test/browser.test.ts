import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core'
import { HistoryStore, type TargetSample } from '../src/history/store.js'
import {
  type FleetMember,
  fleetApp,
  QUICK_ALERT_RULES,
  type StatusHarness,
  startMember,
  startStatus,
  type TestDatabase,
  tcpService,
  testDatabase,
  writeAlertsFile,
} from './helpers.js'

const CHROMIUM = '/usr/bin/chromium'
const resultsDir = fileURLToPath(new URL('../test-results/', import.meta.url))
/** The members all live in this test's process, so each reports its whole memory. */
const MEMBER_LIMIT = 512 * 1024 ** 2
const docsShot = fileURLToPath(new URL('../../../docs/status-page.png', import.meta.url))

/**
 * An hour of earlier rounds written through the status app's own store, so the charts have
 * a past to draw (a test runs for seconds): traffic waves, one app down for three minutes
 * forty minutes ago, then restarted.
 */
async function seedLastHour(databaseUrl: string, apps: string[], services: string[]) {
  const store = new HistoryStore({
    databaseUrl,
    retentionHours: 48,
    reconnectMs: 200,
    log: { info() {}, warn() {} },
  })
  store.start()
  await store.connected()
  const now = Date.now()
  for (let at = now - 3600_000; at < now - 15_000; at += 15_000) {
    const minutesAgo = (now - at) / 60_000
    const samples: TargetSample[] = apps.map((target, index) => {
      const wave = 1 + Math.sin(minutesAgo / (6 + index * 3))
      const down = index === 2 && minutesAgo < 41 && minutesAgo > 38
      return {
        target,
        status: down ? 'down' : 'up',
        detail: down ? 'unreachable: connection refused' : null,
        requestsPerSecond: down ? null : 2 + wave * (4 + index * 3),
        p50Ms: down ? null : 4 + wave * 2,
        p95Ms: down ? null : 20 + wave * (15 + index * 20),
        serverErrorRatio: down ? null : minutesAgo > 20 && minutesAgo < 22 ? 0.04 : 0,
        // near what the live members (in this test's process) show, against their limit
        memoryBytes: down ? null : (200 + index * 15 + wave * 12 + (60 - minutesAgo)) * 1024 ** 2,
        memoryLimitBytes: MEMBER_LIMIT,
        restarts: index === 2 && Math.abs(minutesAgo - 38) < 0.13 ? 1 : 0,
        latencyMs: null,
      }
    })
    for (const target of services) {
      samples.push({
        target,
        status: 'up',
        detail: null,
        requestsPerSecond: null,
        p50Ms: null,
        p95Ms: null,
        serverErrorRatio: null,
        memoryBytes: null,
        memoryLimitBytes: null,
        restarts: 0,
        latencyMs: 0.6 + Math.abs(Math.sin(minutesAgo)) * 0.8,
      })
    }
    await store.record({ at: new Date(at), samples })
  }
  await store.close()
}

async function text(locator: Locator): Promise<string> {
  return (await locator.textContent()) ?? ''
}

describe('the status page in headless Chromium', () => {
  let members: FleetMember[]
  let database: TestDatabase
  let status: StatusHarness
  let traffic: NodeJS.Timeout
  let alertsFile: string
  let profileDir: string
  let browser: BrowserContext
  let page: Page

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`)
    members = await Promise.all([
      startMember('notes', '0.1.0'),
      startMember('kb', '0.3.2'),
      startMember('embedder', '1.0.0'),
    ])
    const [notes] = members
    database = await testDatabase()
    alertsFile = await writeAlertsFile({ rules: QUICK_ALERT_RULES })
    await seedLastHour(
      database.url,
      members.map((member) => member.name),
      ['postgres', 'redis', 'chroma'],
    )
    status = await startStatus(
      {
        apps: members.map((member) => ({ ...fleetApp(member), memoryLimitBytes: MEMBER_LIMIT })),
        services: [
          tcpService('postgres', notes?.port ?? 0),
          tcpService('redis', notes?.port ?? 0),
          {
            name: 'chroma',
            description: 'ChromaDB via chroma-guard',
            probe: `${notes?.url}/readyz`,
          },
        ],
      },
      {
        POLL_INTERVAL_MS: '300',
        DATABASE_URL: database.url,
        ALERTS_FILE: alertsFile,
      },
    )
    // some requests, so the live figures (req/s, p95) have something to show
    traffic = setInterval(() => {
      for (const member of members) {
        fetch(`${member.url}/work?ms=${Math.round(Math.random() * 40)}`).catch(() => {})
      }
    }, 100)
    profileDir = await mkdtemp(join(tmpdir(), 'flotilla-chromium-'))
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
    })
    page = browser.pages()[0] ?? (await browser.newPage())
    await mkdir(resultsDir, { recursive: true })
  })

  after(async () => {
    clearInterval(traffic)
    await browser?.close()
    await status?.close()
    await Promise.all(members.map((member) => member.close()))
    await database?.close()
    await rm(profileDir, { recursive: true, force: true })
    if (alertsFile) await rm(join(alertsFile, '..'), { recursive: true, force: true })
  })

  const card = (name: string) => page.locator(`article[data-name="${name}"]`)

  it('lists every fleet member, up, with its version', async () => {
    await page.goto(`${status.url}/`)
    for (const name of ['notes', 'kb', 'embedder', 'postgres', 'redis', 'chroma']) {
      await card(name).and(page.locator('[data-status="up"]')).waitFor({ timeout: 10_000 })
    }
    assert.match(await text(card('kb')), /v0\.3\.2/)
    assert.match(await text(card('kb').locator('.badge')), /up/i)
    assert.equal(await page.locator('article[data-name]').count(), 6)
  })

  it('turns a stopped app red, labelled down, without reloading', async () => {
    // a marker that a reload would wipe (evaluated in the page, where the DOM lives)
    await page.evaluate('window.loadedOnce = true')
    await members[1]?.close()
    const kb = card('kb').and(page.locator('[data-status="down"]'))
    await kb.waitFor({ timeout: 10_000 })
    assert.match(await text(kb.locator('.badge')), /down/i)
    assert.match(await text(kb), /connection refused/)
    const badgeColour = await page.evaluate(
      `getComputedStyle(document.querySelector('article[data-name="kb"] .badge')).backgroundColor`,
    )
    assert.equal(badgeColour, 'rgb(207, 34, 46)')
    assert.equal(await page.evaluate('window.loadedOnce'), true, 'the page was not reloaded')
    assert.match(await text(page.locator('.summary')), /1 down/i)
    assert.equal(await card('notes').getAttribute('data-status'), 'up')
  })

  it('draws the outage on the stopped app’s charts, and the past one from the history', async () => {
    const band = card('kb').locator('svg rect.incident')
    await band.first().waitFor({ timeout: 10_000 })
    // one band per chart, each for the outage that began when kb stopped
    assert.equal(await band.count(), 4)
    const title = await text(band.first().locator('title'))
    assert.match(title, /^down \d\d:\d\d:\d\d UTC–now: unreachable: connection refused$/)
    // embedder's outage forty minutes ago, stored before this status app started
    assert.equal(await card('embedder').locator('svg rect.incident').count(), 4)
    assert.match(await text(card('embedder').locator('.axis')), /1 down period · 1 restart/)
    assert.equal(await card('notes').locator('svg rect.incident').count(), 0)
    assert.ok((await card('notes').locator('svg path.first').count()) >= 4, 'notes has lines')
    assert.match(await text(page.locator('.alerts')), /kb is down/)
    await page.screenshot({ path: join(resultsDir, 'status.png'), fullPage: true })
  })

  it('switches the charts to 24 hours without a reload', async () => {
    await page.locator('a[data-window="24h"]').click()
    await page.locator('a[data-window="24h"][aria-current]').waitFor({ timeout: 10_000 })
    await card('kb').locator('.axis', { hasText: '−24 h' }).waitFor({ timeout: 10_000 })
    assert.equal(await page.evaluate('window.loadedOnce'), true, 'the page was not reloaded')
    assert.equal(new URL(page.url()).searchParams.get('window'), '24h')
    await page.locator('a[data-window="1h"]').click()
    await card('kb').locator('.axis', { hasText: '−1 h' }).waitFor({ timeout: 10_000 })
  })

  it('lays the cards out in columns on a desktop', async () => {
    await page.setViewportSize({ width: 1280, height: 900 })
    // measured in one evaluation: a refresh may replace the cards between two separate calls
    const tops = await page.evaluate<number[]>(
      `[...document.querySelectorAll('#fleet section[aria-labelledby="apps-title"] article')].map((card) => Math.round(card.getBoundingClientRect().top))`,
    )
    assert.deepEqual(tops, [tops[0], tops[0], tops[0]], 'three app cards side by side')
    await page.screenshot({ path: join(resultsDir, 'status-desktop.png'), fullPage: true })
    // The README's picture is refreshed when asked, so a test run leaves the tree clean.
    if (process.env.UPDATE_README_SCREENSHOT) {
      await mkdir(join(docsShot, '..'), { recursive: true })
      await copyFile(join(resultsDir, 'status-desktop.png'), docsShot)
    }
  })
})
