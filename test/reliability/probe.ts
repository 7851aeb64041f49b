/**
 * A strategy that audits what the engine delivers, per instrument:
 *
 * - trades: every venue trade id must arrive once, in order, or be covered by
 *   a TradeGap event that came before the next trade (a loss that is
 *   reported is not a silent loss); anything else counts as `lost`;
 * - books: after every applied BookDelta diff the engine's synced book top must
 *   equal the venue's bookTicker for the same update id (the simulator
 *   publishes bookTicker on every top change, so the last quote with u ≤ the
 *   book's update id is the venue's top at that id). Quotes received before
 *   a BookInvalidated are forgotten: the top may have changed while the
 *   connection was down (the resync snapshot has that change, the quote
 *   stream never will), so the check resumes with the first quote after it;
 * - status events: BookInvalidated / BookResynced by reason.
 */
import type { ReadonlyCanonicalEvent } from '../../src/model/events.js'
import { EventKind } from '../../src/model/events.js'
import type { StrategyContext } from '../../src/strategy/strategy.js'

export interface InstrumentAudit {
  trades: number
  /** ids covered by TradeGap events (reported losses) */
  reportedMissing: number
  /** ids neither delivered nor reported */
  lost: number
  duplicates: number
  invalidated: number[]
  resynced: number
  bookChecks: number
  bookMismatches: number
  lastMismatch: string
  covered: number
  quotes: number[]
}

function audit(): InstrumentAudit {
  return { trades: 0, reportedMissing: 0, lost: 0, duplicates: 0, invalidated: [], resynced: 0, bookChecks: 0, bookMismatches: 0, lastMismatch: '', covered: 0, quotes: [] }
}

const Q = 5 // u, bidPx, bidQty, askPx, askQty
const MAX_QUOTES = 2048

export class Probe {
  readonly name = 'probe'
  readonly by = new Map<number, InstrumentAudit>()
  events = 0

  of(id: number): InstrumentAudit {
    let a = this.by.get(id)
    if (a === undefined) {
      a = audit()
      this.by.set(id, a)
    }
    return a
  }

  onTrade(ev: ReadonlyCanonicalEvent): void {
    this.events++
    const a = this.of(ev.instrumentId)
    const t = ev.venueSeq
    a.trades++
    if (a.covered === 0 || t === a.covered + 1) a.covered = t
    else if (t <= a.covered) a.duplicates++
    else {
      a.lost += t - a.covered - 1
      a.covered = t
    }
  }

  onQuote(ev: ReadonlyCanonicalEvent): void {
    this.events++
    const q = this.of(ev.instrumentId).quotes
    // replays of a make-before-break handover repeat older ids: keep the sequence increasing
    if (q.length > 0 && ev.venueSeq <= q[q.length - Q]!) return
    q.push(ev.venueSeq, ev.bidPxM, ev.bidQtyM, ev.askPxM, ev.askQtyM)
    if (q.length > MAX_QUOTES * Q) q.splice(0, q.length - MAX_QUOTES * Q)
  }

  onBook(ev: ReadonlyCanonicalEvent, ctx: StrategyContext): void {
    this.events++
    // A REST snapshot can be ahead of the stream (the quotes up to its id may still be on the
    // way); a diff's id comes from the stream itself, so every quote up to it has arrived.
    if (ev.isSnapshot) return
    const book = ctx.book(ev.instrumentId)
    if (book === null) return
    const a = this.of(ev.instrumentId)
    const q = a.quotes
    const x = book.updateId
    let j = -1
    for (let i = q.length - Q; i >= 0; i -= Q) {
      if (q[i]! <= x) {
        j = i
        break
      }
    }
    if (j < 0) return
    a.bookChecks++
    const snapshotNote = ` (diff ${ev.firstUpdateId}..${ev.venueSeq})`
    if (book.bestBidPx() !== q[j + 1] || book.bestBidQty() !== q[j + 2] || book.bestAskPx() !== q[j + 3] || book.bestAskQty() !== q[j + 4]) {
      a.bookMismatches++
      if (a.lastMismatch !== '') return
      a.lastMismatch = `book@${x} ${book.bestBidQty()}@${book.bestBidPx()} / ${book.bestAskQty()}@${book.bestAskPx()} vs quote@${q[j]} ${q[j + 2]}@${q[j + 1]} / ${q[j + 4]}@${q[j + 3]}${snapshotNote}`
    }
  }

  onStatus(ev: ReadonlyCanonicalEvent): void {
    const a = this.of(ev.instrumentId)
    if (ev.kind === EventKind.TradeGap) {
      if (a.covered > 0 && ev.gapFrom === a.covered + 1) {
        a.reportedMissing += ev.gapTo - ev.gapFrom + 1
        a.covered = ev.gapTo
      }
    } else if (ev.kind === EventKind.BookInvalidated) {
      a.invalidated.push(ev.reason)
      a.quotes.length = 0
    } else if (ev.kind === EventKind.BookResynced) a.resynced++
  }

  /** Totals over every instrument. */
  totals(): { trades: number; reportedMissing: number; lost: number; duplicates: number; bookChecks: number; bookMismatches: number } {
    const t = { trades: 0, reportedMissing: 0, lost: 0, duplicates: 0, bookChecks: 0, bookMismatches: 0 }
    for (const a of this.by.values()) {
      t.trades += a.trades
      t.reportedMissing += a.reportedMissing
      t.lost += a.lost
      t.duplicates += a.duplicates
      t.bookChecks += a.bookChecks
      t.bookMismatches += a.bookMismatches
    }
    return t
  }
}
