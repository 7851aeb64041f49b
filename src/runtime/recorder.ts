/**
 * The run recorder: when `recording.path` is configured (or `tickflow run
 * --record FILE`), every merged event the dispatcher publishes is appended to
 * a `.tfrec` file with its global seq and source (src/replay/recording-writer.ts,
 * docs/recording.md), so `tickflow replay FILE --verify` and
 * `replayRecording()` reproduce the live interleaving.
 *
 * It is a synchronous dispatcher subscriber of every kind and instrument: it
 * copies the pooled event into its block buffer during the callback (no
 * per-event allocation, no ring copy). bench/scenarios/recorder.ts measured
 * it against a queued `block` subscriber doing the same encoding, and against
 * JSON lines (figures in docs/recording.md). Backpressure: when the disk is
 * two blocks behind, the block is written synchronously, which stalls the
 * event loop, so the venue sockets are not read: nothing is dropped, memory
 * stays at two blocks.
 *
 * One timer flushes a partly filled block every `flushIntervalMs`, so a quiet
 * feed's events reach the disk within that time (the recording is complete
 * up to the last flushed block if the process is killed: read it with
 * `allowUnclosed`).
 */
import type { Logger } from '../core/logger.js'
import { silentLogger } from '../core/logger.js'
import { EVENT_KIND_COUNT, type ReadonlyMergedEvent } from '../model/events.js'
import type { InstrumentRegistry } from '../model/instrument.js'
import type { Dispatcher, MergedHandler, SyncSubscription } from '../pipeline/dispatcher.js'
import type { Merger } from '../pipeline/merger.js'
import { RecordingWriter, type RecordingSummary, type RecordingWriterStats } from '../replay/recording-writer.js'

export interface RunRecorderOptions {
  dispatcher: Dispatcher
  merger: Merger
  registry: InstrumentRegistry
  /** bytes per block buffer (two are allocated); default 256 KiB */
  blockBytes?: number
  /** flush a partly filled block after this long, ms (default 1000) */
  flushIntervalMs?: number
  logger?: Logger
}

/** Every event kind a subscriber can ask for (1 .. EVENT_KIND_COUNT-1). */
const ALL_KINDS: readonly number[] = Array.from({ length: EVENT_KIND_COUNT - 1 }, (_, i) => i + 1)

export class RunRecorder implements MergedHandler {
  readonly writer: RecordingWriter
  private readonly dispatcher: Dispatcher
  private readonly flushIntervalMs: number
  private readonly log: Logger
  private subscription: SyncSubscription | null = null
  private timer: NodeJS.Timeout | null = null
  private closing: Promise<RecordingSummary> | null = null

  /** Creates the file (throws RECORDING_IO when it cannot). Call start() to subscribe. */
  constructor(file: string, options: RunRecorderOptions) {
    this.dispatcher = options.dispatcher
    this.flushIntervalMs = options.flushIntervalMs ?? 1000
    this.log = options.logger ?? silentLogger
    const merger = options.merger
    this.writer = new RecordingWriter(file, {
      registry: options.registry,
      sourceName: (id) => merger.stats().sources.find((s) => s.id === id)?.name ?? `source-${id}`,
      ordering: merger.ordering,
      ...(options.blockBytes !== undefined ? { blockBytes: options.blockBytes } : {}),
      onError: (err) => this.log.error({ err: err.message, file }, 'recording failed: events are no longer recorded'),
    })
  }

  /** Subscribes to every event and starts the flush timer. */
  start(): void {
    if (this.subscription !== null) return
    this.subscription = this.dispatcher.subscribeSync({ name: 'recorder', kinds: ALL_KINDS, instruments: 'all', handler: this })
    this.timer = setInterval(() => this.writer.flush(), this.flushIntervalMs)
    this.timer.unref()
  }

  /** Dispatcher callback (hot path): copies the event into the block buffer. */
  onEvent(m: ReadonlyMergedEvent): void {
    this.writer.write(m)
  }

  /** Unsubscribes, writes what is buffered and the end record, closes the file. Idempotent. */
  close(): Promise<RecordingSummary> {
    if (this.closing === null) {
      if (this.timer !== null) clearInterval(this.timer)
      this.timer = null
      if (this.subscription !== null) this.dispatcher.unsubscribe(this.subscription)
      this.closing = this.writer.close()
      this.closing.then(
        (s) => this.log.info({ file: s.file, events: s.events, bytes: s.bytes }, 'recording closed'),
        () => undefined,
      )
    }
    return this.closing
  }

  stats(): RecordingWriterStats {
    return this.writer.stats()
  }
}
