/**
 * The live status line on a terminal: one line rewritten every second with
 * events/s, pipeline latency p50/p99, pool use, open orders, fills, position
 * and PnL. It reads snapshots (cold path) and is off when stdout is not a
 * terminal (logs are JSON there and metrics are scraped).
 */
import { setBeforeLogWrite } from './logging.js'

export interface StatusSnapshot {
  events: number
  p50Us: number
  p99Us: number
  poolInFlight: number
  poolCapacity: number
  openOrders: number
  fills: number
  /** "BTCUSDT +0.0300 …" */
  position: string
  /** mark-to-market PnL in the quote currency (display only) */
  pnl: string
  drops: number
  resyncs: number
}

export class StatusLine {
  private timer: NodeJS.Timeout | null = null
  private lastEvents = 0
  private lastAt = 0
  private shown = false

  constructor(
    private readonly sample: () => StatusSnapshot,
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {}

  /** True when the output is a terminal (the status line is only drawn there). */
  get enabled(): boolean {
    return this.out.isTTY === true
  }

  start(everyMs = 1000): void {
    if (!this.enabled || this.timer !== null) return
    this.lastAt = performance.now()
    this.lastEvents = this.sample().events
    setBeforeLogWrite(() => this.clear())
    this.timer = setInterval(() => this.draw(), everyMs)
    this.timer.unref()
  }

  private clear(): void {
    if (this.shown) {
      this.out.write('\r\x1b[K')
      this.shown = false
    }
  }

  /** The text of the line (exported for tests). */
  render(s: StatusSnapshot, eventsPerSec: number): string {
    const width = this.out.columns ?? 160
    const text =
      `ev/s ${Math.round(eventsPerSec).toLocaleString('en-US')}  ` +
      `p50 ${fmtUs(s.p50Us)} p99 ${fmtUs(s.p99Us)}  ` +
      `pools ${s.poolInFlight}/${s.poolCapacity}  ` +
      `open ${s.openOrders}  fills ${s.fills}  pos ${s.position || '-'}  pnl ${s.pnl}` +
      (s.drops > 0 ? `  drops ${s.drops}` : '') +
      (s.resyncs > 0 ? `  resyncs ${s.resyncs}` : '')
    return text.length > width - 1 ? text.slice(0, width - 2) + '…' : text
  }

  private draw(): void {
    const s = this.sample()
    const now = performance.now()
    const rate = ((s.events - this.lastEvents) * 1000) / Math.max(1, now - this.lastAt)
    this.lastEvents = s.events
    this.lastAt = now
    this.out.write('\r\x1b[K' + this.render(s, rate))
    this.shown = true
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
    this.clear()
    setBeforeLogWrite(null)
  }
}

function fmtUs(us: number): string {
  if (!Number.isFinite(us) || us <= 0) return '-'
  if (us < 1000) return `${Math.round(us)}µs`
  return `${(us / 1000).toFixed(1)}ms`
}
