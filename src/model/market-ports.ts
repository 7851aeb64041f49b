/**
 * Market-data ports: the venue-neutral contract between a venue's market-data
 * adapter (e.g. `BinanceMarketFeed`) and the engine (merger, dispatcher,
 * strategies). No venue wire type crosses it.
 *
 *   venue socket ─► adapter (decode, book sync, normalize) ─► sink.onMarketEvent(ev)
 *                                                              │ ownership passes here
 *                                   engine (merger.push …) ◄───┘ … releases ev to its pool
 *
 * Event flow (house style 2.6): the adapter leases each CanonicalEvent from
 * the engine's CanonicalEvent pool, fills it and hands it over with
 * `onMarketEvent`; from then on the SINK owns it and must release it to that
 * pool (the merger does, after dispatch). The adapter never touches an event
 * after handing it over. Calls are synchronous, on the main thread, one event
 * at a time, in the venue's arrival order per connection.
 *
 * Backpressure: the sink cannot refuse an event. When the engine's consumers
 * fall behind it calls `source.pause()` (the adapter stops reading its
 * sockets: TCP backpressure to the venue) and `resume()` once drained.
 * Events already read when the pause takes effect are still delivered.
 */
import type { CanonicalEvent } from './events.js'

/** Receives the canonical events of one or more market sources. */
export interface MarketEventSink {
  /**
   * One event; the sink takes ownership (it must release `ev` to the
   * CanonicalEvent pool the source was given, once done with it).
   */
  onMarketEvent(ev: CanonicalEvent): void
}

/** A top of book read from a source's local books. Mantissas at the instrument's scales. */
export interface MarketTop {
  bidPxM: number
  bidQtyM: number
  askPxM: number
  askQtyM: number
  priceScale: number
  qtyScale: number
}

/** A source's counters as a plain object (cold path: built on demand). */
export interface MarketSourceStats {
  venueId: number
  venueName: string
  /** 'idle' | 'starting' | 'running' | 'closing' | 'closed' | 'failed' */
  state: string
  paused: boolean
  [key: string]: unknown
}

/** One venue's market data (implemented per venue, e.g. BinanceMarketFeed). */
export interface MarketSource {
  readonly venueId: number
  readonly venueName: string
  /**
   * Loads instrument rules, connects and subscribes. Resolves once every
   * connection is open and subscribed; events flow to the sink from then on
   * (books reach sync asynchronously). Rejects with a TickflowError when the
   * venue cannot be reached or refuses the subscriptions; the source is then
   * closed. Idempotent.
   */
  start(): Promise<void>
  /** Unsubscribes, closes the sockets (close code 1000), stops timers. Idempotent. */
  close(): Promise<void>
  /** Stops reading the sockets (receive backpressure). Idempotent. */
  pause(): void
  /** Reads again after `pause()`. Idempotent. */
  resume(): void
  /**
   * The current top of the local book of `instrumentId` into `out`; false
   * when the source keeps no book for it or the book is not in sync.
   * Structurally a pipeline `BookTopSource`.
   */
  top(instrumentId: number, out: MarketTop): boolean
  stats(): MarketSourceStats
}
