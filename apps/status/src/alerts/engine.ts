import type { RuleName } from './config.js'

/** One rule on one target this round: whether its condition holds, and in words. */
export interface Condition {
  rule: RuleName
  target: string
  active: boolean
  /** How long it must hold before the alert fires. */
  forMs: number
  message: string
}

export type NoticeKind = 'firing' | 'reminder' | 'resolved'

/** What is sent to every webhook and shown on the page. */
export interface Notice {
  kind: NoticeKind
  rule: RuleName
  target: string
  message: string
  /** When the condition began to hold. */
  since: string
  at: string
}

export interface ActiveAlert {
  rule: RuleName
  target: string
  message: string
  since: string
  firedAt: string
}

/** A fired alert as the history database keeps it between runs of this app. */
export interface FiringAlert {
  rule: RuleName
  target: string
  since: string
  firedAt: string
  lastNotifiedAt: string
  message: string
}

interface State {
  rule: RuleName
  target: string
  since: number
  firedAt: number | null
  lastNotifiedAt: number
  message: string
}

const RECENT_NOTICES = 50

/**
 * Turns each round's conditions into notices: one when a condition has held for its `forMs`,
 * a reminder every `reminderMs` while it still holds (0: none), and one recovery notice when
 * it stops. A condition that clears before firing sends nothing.
 */
export class AlertEngine {
  readonly #reminderMs: number
  readonly #send: (notice: Notice) => void
  readonly #states = new Map<string, State>()
  readonly #recent: Notice[] = []

  constructor(options: { reminderMs: number; send: (notice: Notice) => void }) {
    this.#reminderMs = options.reminderMs
    this.#send = options.send
  }

  /** Applies one round; a rule/target absent from `conditions` counts as not holding. */
  evaluate(conditions: readonly Condition[], now: Date): Notice[] {
    const at = now.getTime()
    const notices: Notice[] = []
    const holding = new Set<string>()
    for (const condition of conditions) {
      if (!condition.active) continue
      const key = alertKey(condition)
      holding.add(key)
      let state = this.#states.get(key)
      if (!state) {
        state = {
          rule: condition.rule,
          target: condition.target,
          since: at,
          firedAt: null,
          lastNotifiedAt: 0,
          message: condition.message,
        }
        this.#states.set(key, state)
      }
      state.message = condition.message
      if (state.firedAt === null) {
        if (at - state.since >= condition.forMs) {
          state.firedAt = at
          state.lastNotifiedAt = at
          notices.push(this.#notice('firing', state, at))
        }
      } else if (this.#reminderMs > 0 && at - state.lastNotifiedAt >= this.#reminderMs) {
        state.lastNotifiedAt = at
        notices.push(this.#notice('reminder', state, at))
      }
    }
    for (const [key, state] of this.#states) {
      if (holding.has(key)) continue
      this.#states.delete(key)
      if (state.firedAt !== null) notices.push(this.#notice('resolved', state, at))
    }
    for (const notice of notices) {
      this.#recent.unshift(notice)
      this.#send(notice)
    }
    this.#recent.length = Math.min(this.#recent.length, RECENT_NOTICES)
    return notices
  }

  /** Alerts that have fired and not yet cleared, oldest first. */
  active(): ActiveAlert[] {
    return [...this.#states.values()]
      .filter((state) => state.firedAt !== null)
      .sort((a, b) => a.since - b.since)
      .map((state) => ({
        rule: state.rule,
        target: state.target,
        message: state.message,
        since: new Date(state.since).toISOString(),
        firedAt: new Date(state.firedAt ?? state.since).toISOString(),
      }))
  }

  /** What to keep across a restart: the fired alerts with when they were last sent. */
  firing(): FiringAlert[] {
    return [...this.#states.values()].flatMap((state) =>
      state.firedAt === null
        ? []
        : [
            {
              rule: state.rule,
              target: state.target,
              since: new Date(state.since).toISOString(),
              firedAt: new Date(state.firedAt).toISOString(),
              lastNotifiedAt: new Date(state.lastNotifiedAt).toISOString(),
              message: state.message,
            },
          ],
    )
  }

  /**
   * Takes over the alerts a previous run had fired, so their notice is not sent again and
   * their recovery is (at the next round where they no longer hold). One this run has fired
   * already stays as it is.
   */
  restore(alerts: readonly FiringAlert[]): void {
    for (const alert of alerts) {
      const key = alertKey(alert)
      if (typeof this.#states.get(key)?.firedAt === 'number') continue
      this.#states.set(key, {
        rule: alert.rule,
        target: alert.target,
        since: Date.parse(alert.since),
        firedAt: Date.parse(alert.firedAt),
        lastNotifiedAt: Date.parse(alert.lastNotifiedAt),
        message: alert.message,
      })
    }
  }

  /** The latest notices, newest first. */
  recent(): Notice[] {
    return [...this.#recent]
  }

  #notice(kind: NoticeKind, state: State, at: number): Notice {
    const message =
      kind === 'resolved'
        ? `resolved after ${duration(at - state.since)}: ${state.message}`
        : state.message
    return {
      kind,
      rule: state.rule,
      target: state.target,
      message,
      since: new Date(state.since).toISOString(),
      at: new Date(at).toISOString(),
    }
  }
}

function alertKey(alert: { rule: RuleName; target: string }): string {
  return `${alert.rule}\u0000${alert.target}`
}

/** A span in the unit people use for it: 45 s, 12 min, 30 h. */
export function duration(ms: number): string {
  const seconds = Math.round(ms / 1000)
  if (seconds < 120) return `${seconds} s`
  const minutes = Math.round(seconds / 60)
  if (minutes < 120) return `${minutes} min`
  return `${Math.round(minutes / 60)} h`
}
