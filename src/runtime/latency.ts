/**
 * Pipeline latency, per stage, measured in-process on a sample of events:
 *
 *   frame received (WsFrame.recvTsUs, copied into CanonicalEvent.tsRecvUs)
 *     → canonical   (the event reaches the merger: decode + book + normalize)
 *     → merged      (MergedEvent.tsMergedUs: sequence, ordering, BBO)
 *     → subscriber  (arrival order: every synchronous subscriber, i.e. the
 *                    strategies, has returned; event-time order: the probe's
 *                    own subscriber is called)
 *
 * Recorded: frame→canonical, frame→merged, merged→subscriber and the whole
 * frame→subscriber (the canonical and merged stamps are of different events
 * in the sample, so canonical→merged is frame→merged minus frame→canonical).
 *
 * One clock read per SAMPLED event, never per event; an unsampled event costs
 * a counter increment and a mask test. The sampling period adapts to the
 * rate, using the clock reads it takes anyway: it doubles (up to 1 in 1024)
 * while samples come less than 0.5 ms apart and halves (down to every event)
 * while they come more than 2 ms apart, so the probe records ~500-2,000
 * samples per second per stage at any rate: every event of a quiet feed, and
 * ~0.3 ns per event at 1M events/s (a sample costs two clock reads and six
 * histogram records, ~250 ns). Histograms are Node's native HdrHistogram
 * (perf_hooks.createHistogram: 25 ns per record, no allocation;
 * node-performance.md §5.2), in µs.
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks'
import { epochUs } from '../core/clock.js'
import type { MergedEvent } from '../model/events.js'

/** Longest sampling period (1 in 1024 events). */
const MAX_PERIOD = 1024
/** Samples closer than this: sample less often. */
const FAST_GAP_US = 500
/** Samples further apart than this: sample more often. */
const SLOW_GAP_US = 2000

export const STAGES = ['frame_to_canonical', 'frame_to_merged', 'merged_to_subscriber', 'frame_to_subscriber'] as const
export type StageName = (typeof STAGES)[number]

function histogram(): RecordableHistogram {
  return createHistogram({ lowest: 1, highest: 60_000_000, figures: 3 })
}

/** A set of per-stage histograms (one for metrics scrapes, one for the status line). */
export class StageHistograms {
  readonly frameToCanonical = histogram()
  readonly frameToMerged = histogram()
  readonly mergedToSubscriber = histogram()
  readonly frameToSubscriber = histogram()

  entries(): Array<[StageName, RecordableHistogram]> {
    return [
      ['frame_to_canonical', this.frameToCanonical],
      ['frame_to_merged', this.frameToMerged],
      ['merged_to_subscriber', this.mergedToSubscriber],
      ['frame_to_subscriber', this.frameToSubscriber],
    ]
  }
}

function rec(h: RecordableHistogram, us: number): void {
  // Clocks may be a few µs apart across the stamp sites; never record < 1.
  h.record(us >= 1 ? Math.round(us) : 1)
}

export class LatencyProbe {
  /** scraped by metrics (reset at each scrape) */
  readonly metrics = new StageHistograms()
  /** read by the status line (reset every second) */
  readonly status = new StageHistograms()
  /** sampling period − 1 (a power of two − 1); adapted by atCanonical */
  private mask: number
  private nIn = 0
  private nOut = 0
  /** epoch µs of the last frame→canonical sample (0 = none yet) */
  private lastSampleUs = 0

  /** `every`: the initial sampling period, rounded up to a power of two (it adapts, see above). */
  constructor(every = 8) {
    let p = 1
    while (p < every && p < MAX_PERIOD) p <<= 1
    this.mask = p - 1
  }

  /** The current sampling period (1 = every event). */
  get period(): number {
    return this.mask + 1
  }

  /**
   * Called by the engine's market sink for every canonical event it takes
   * (before merger.push). Returns true when this event is sampled (the sink
   * then calls afterDispatch once the merger has dispatched it).
   */
  atCanonical(tsRecvUs: number): boolean {
    if ((++this.nIn & this.mask) !== 0 || tsRecvUs <= 0) return false
    const now = epochUs()
    const d = now - tsRecvUs
    rec(this.metrics.frameToCanonical, d)
    rec(this.status.frameToCanonical, d)
    const last = this.lastSampleUs
    this.lastSampleUs = now
    if (last === 0) return true
    const gap = now - last
    if (gap < FAST_GAP_US) {
      if (this.mask < MAX_PERIOD - 1) this.mask = (this.mask << 1) | 1
    } else if (gap > SLOW_GAP_US && this.mask > 0) {
      this.mask >>= 1
    }
    return true
  }

  /**
   * Arrival-order engines: called by the market sink right after
   * merger.push() returned for a sampled event, i.e. once every synchronous
   * subscriber (the strategies) has returned: frame → strategy callback
   * returned (issue 6's in-process pipeline latency). `tsMergedUs` is the
   * merger's publish stamp of that event.
   */
  afterDispatch(tsRecvUs: number, tsMergedUs: number): void {
    const now = epochUs()
    const total = now - tsRecvUs
    rec(this.metrics.frameToSubscriber, total)
    rec(this.status.frameToSubscriber, total)
    if (tsMergedUs > 0) {
      rec(this.metrics.mergedToSubscriber, now - tsMergedUs)
      rec(this.metrics.frameToMerged, tsMergedUs - tsRecvUs)
    }
  }

  /** Event-time engines: called as a synchronous dispatcher subscriber for every merged event. */
  atSubscriber(m: MergedEvent): void {
    if ((++this.nOut & this.mask) !== 0) return
    const ev = m.event
    if (ev === null || ev.tsRecvUs <= 0) return
    const now = epochUs()
    const total = now - ev.tsRecvUs
    const toMerged = m.tsMergedUs - ev.tsRecvUs
    rec(this.metrics.frameToSubscriber, total)
    rec(this.status.frameToSubscriber, total)
    if (m.tsMergedUs > 0) {
      rec(this.metrics.mergedToSubscriber, now - m.tsMergedUs)
      rec(this.metrics.frameToMerged, toMerged)
    }
  }

  /** As a dispatcher subscriber: `dispatcher.subscribeSync({ handler: probe })`. */
  onEvent(m: MergedEvent): void {
    this.atSubscriber(m)
  }

  /** Subscriber adapter (the probe itself: no closure). */
  get handler(): { onEvent(m: MergedEvent): void } {
    return this
  }
}
