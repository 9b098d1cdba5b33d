import { setTimeout as sleep } from 'node:timers/promises'
import type { Webhook, WebhookFormat } from './config.js'
import type { Notice } from './engine.js'

const ATTEMPTS = 3
const TIMEOUT_MS = 5_000

const HEADLINE: Record<Notice['kind'], string> = {
  firing: '🔴 ALERT',
  reminder: '🔴 still firing',
  resolved: '✅ RESOLVED',
}

/** The text a chat message carries: one line a person reads on a lock screen. */
export function noticeText(notice: Notice): string {
  return `${HEADLINE[notice.kind]} ${notice.target}: ${notice.message}`
}

/** The HTTP request for one notice in a target's format. */
export function webhookRequest(
  format: WebhookFormat,
  notice: Notice,
): { headers: Record<string, string>; body: string } {
  const json = (body: unknown) => ({
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  switch (format) {
    case 'json':
      return json({ ...notice, text: noticeText(notice), source: 'flotilla-status' })
    case 'slack':
      return json({ text: noticeText(notice) })
    case 'discord':
      return json({ content: noticeText(notice) })
    case 'ntfy':
      // ntfy takes the message as the body of a POST to the topic URL, options as headers;
      // header values must be ASCII.
      return {
        headers: {
          'content-type': 'text/plain; charset=utf-8',
          title: `flotilla: ${notice.target} ${notice.kind === 'resolved' ? 'recovered' : notice.rule}`,
          priority: notice.kind === 'resolved' ? 'default' : 'high',
          tags: notice.kind === 'resolved' ? 'white_check_mark' : 'rotating_light',
        },
        body: notice.message,
      }
  }
}

/**
 * Sends notices to every configured webhook without holding up the poll: one queue per
 * webhook keeps a recovery behind its alert, and a failed POST is retried a few times.
 */
export class Notifier {
  readonly #webhooks: Webhook[]
  readonly #onError: (webhook: string, error: unknown) => void
  readonly #queues = new Map<string, Promise<void>>()

  constructor(webhooks: Webhook[], onError: (webhook: string, error: unknown) => void) {
    this.#webhooks = webhooks.filter((webhook) => webhook.url !== null)
    this.#onError = onError
  }

  send(notice: Notice): void {
    for (const webhook of this.#webhooks) {
      const previous = this.#queues.get(webhook.name) ?? Promise.resolve()
      const next = previous.then(() =>
        this.#post(webhook, notice).catch((error) => this.#onError(webhook.name, error)),
      )
      this.#queues.set(webhook.name, next)
    }
  }

  /** Resolves when everything queued so far was sent or given up on. */
  async drain(): Promise<void> {
    await Promise.all(this.#queues.values())
  }

  async #post(webhook: Webhook, notice: Notice): Promise<void> {
    const { headers, body } = webhookRequest(webhook.format, notice)
    let lastError: unknown
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        const response = await fetch(webhook.url as string, {
          method: 'POST',
          headers: { 'user-agent': 'flotilla-status', ...headers },
          body,
          signal: AbortSignal.timeout(TIMEOUT_MS),
        })
        await response.body?.cancel()
        if (response.ok) return
        lastError = new Error(`answered HTTP ${response.status}`)
        if (response.status < 500 && response.status !== 429) break
      } catch (error) {
        lastError = error
      }
      if (attempt < ATTEMPTS) await sleep(1000 * 2 ** (attempt - 1))
    }
    throw lastError
  }
}
