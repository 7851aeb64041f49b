/**
 * Pipeline latency, per stage, measured in-process on a sample of events:
 *
 *   frame received (WsFrame.recvTsUs, copied into CanonicalEvent.tsRecvUs)
 *     → canonical   (the event reaches the merger: decode + book + normalize)
 *     → merged      (MergedEvent.tsMergedUs: sequence, ordering, BBO)
 *     → subscriber  (a synchronous subscriber is called: dispatch)
 *
 * Recorded: frame→canonical, frame→merged, merged→subscriber and the whole
 * frame→subscriber (the canonical and merged stamps are of different events
 * in the sample, so canonical→merged is frame→merged minus frame→canonical).
 *
 * One clock read per SAMPLED event (1 in `every`), never per event, so the
 * probe costs ~5 ns per event on average. Histograms are Node's native
 * HdrHistogram (perf_hooks.createHistogram: 25 ns per record, no allocation;
 * node-performance.md §5.2), in µs.
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks'
import { epochUs } from '../core/clock.js'
import type { MergedEvent } from '../model/events.js'

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
  private readonly mask: number
  private nIn = 0
  private nOut = 0

  /** `every` is rounded up to a power of two. */
  constructor(every = 8) {
    let p = 1
    while (p < every) p <<= 1
    this.mask = p - 1
  }

  /** Called by the engine's market sink for every canonical event it takes (before merger.push). */
  atCanonical(tsRecvUs: number): void {
    if ((++this.nIn & this.mask) !== 0 || tsRecvUs <= 0) return
    const d = epochUs() - tsRecvUs
    rec(this.metrics.frameToCanonical, d)
    rec(this.status.frameToCanonical, d)
  }

  /** Called by a synchronous dispatcher subscriber for every merged event. */
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

  /** Subscriber adapter: `dispatcher.subscribeSync({ handler: probe.handler })`. */
  readonly handler = { onEvent: (m: MergedEvent): void => this.atSubscriber(m) }
}
