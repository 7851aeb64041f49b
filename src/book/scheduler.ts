/**
 * A small timer interface for book synchronisation (resync backoff, snapshot
 * timeouts). Live code uses `timerScheduler` (setTimeout, unref'd); replay and
 * tests use `ManualScheduler`, whose time only moves when `advanceTo()` is
 * called, so retries and timeouts run synchronously and deterministically.
 *
 * Cold path: timers are set on resync only, never per message.
 */

/** A scheduled task that can be cancelled (idempotent). */
export interface TimerHandle {
  cancel(): void
}

export interface SyncScheduler {
  /** current time, ms (any epoch; only differences matter) */
  now(): number
  /** runs `task` once after `delayMs` */
  schedule(delayMs: number, task: () => void): TimerHandle
}

/** Real timers (unref'd so a pending resync never keeps the process alive). */
export const timerScheduler: SyncScheduler = {
  now: () => performance.now(),
  schedule(delayMs: number, task: () => void): TimerHandle {
    const t = setTimeout(task, Math.max(0, delayMs))
    t.unref()
    return { cancel: () => clearTimeout(t) }
  },
}

interface ManualTask {
  at: number
  seq: number
  task: () => void
  cancelled: boolean
}

/** Virtual time: tasks run inside `advanceTo`/`advanceBy`, in due-time order. */
export class ManualScheduler implements SyncScheduler {
  private time: number
  private seq = 0
  private tasks: ManualTask[] = []

  constructor(startMs = 0) {
    this.time = startMs
  }

  now(): number {
    return this.time
  }

  schedule(delayMs: number, task: () => void): TimerHandle {
    const t: ManualTask = { at: this.time + Math.max(0, delayMs), seq: this.seq++, task, cancelled: false }
    this.tasks.push(t)
    return {
      cancel: () => {
        t.cancelled = true
      },
    }
  }

  /** Number of tasks not yet run or cancelled. */
  get pending(): number {
    let n = 0
    for (const t of this.tasks) if (!t.cancelled) n++
    return n
  }

  /** Moves time to `ms` (never backwards), running every task due by then. */
  advanceTo(ms: number): void {
    while (this.tasks.length > 0) {
      let next: ManualTask | null = null
      for (const t of this.tasks) {
        if (t.cancelled || t.at > ms) continue
        if (next === null || t.at < next.at || (t.at === next.at && t.seq < next.seq)) next = t
      }
      if (next === null) break
      next.cancelled = true
      if (next.at > this.time) this.time = next.at
      next.task()
      this.tasks = this.tasks.filter((t) => !t.cancelled)
    }
    if (ms > this.time) this.time = ms
  }

  advanceBy(ms: number): void {
    this.advanceTo(this.time + ms)
  }
}
