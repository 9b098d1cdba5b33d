import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core'
import {
  type FleetMember,
  fleetApp,
  type StatusHarness,
  startMember,
  startStatus,
  tcpService,
} from './helpers.js'

const CHROMIUM = '/usr/bin/chromium'
const resultsDir = fileURLToPath(new URL('../test-results/', import.meta.url))

async function text(locator: Locator): Promise<string> {
  return (await locator.textContent()) ?? ''
}

describe('the status page in headless Chromium', () => {
  let members: FleetMember[]
  let status: StatusHarness
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
    status = await startStatus(
      {
        apps: members.map(fleetApp),
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
      { POLL_INTERVAL_MS: '300' },
    )
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
    await browser?.close()
    await status?.close()
    await Promise.all(members.map((member) => member.close()))
    await rm(profileDir, { recursive: true, force: true })
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
    await page.screenshot({ path: join(resultsDir, 'status.png'), fullPage: true })
  })

  it('lays the cards out in columns on a desktop', async () => {
    await page.setViewportSize({ width: 1280, height: 800 })
    // measured in one evaluation: a refresh may replace the cards between two separate calls
    const tops = await page.evaluate<number[]>(
      `[...document.querySelectorAll('#fleet section:nth-of-type(2) article')].map((card) => Math.round(card.getBoundingClientRect().top))`,
    )
    assert.deepEqual(tops, [tops[0], tops[0], tops[0]], 'three app cards side by side')
    await page.screenshot({ path: join(resultsDir, 'status-desktop.png'), fullPage: true })
  })
})
