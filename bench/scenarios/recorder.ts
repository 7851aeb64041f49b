/**
 * recorder.*: the cost of recording a run (src/runtime/recorder.ts,
 * src/replay/recording-writer.ts) on the dispatch path, per event, side by
 * side in one process:
 *
 *   none          publish to one sync subscriber (the strategy), no recording
 *   sync          + the recorder as a sync subscriber: fields copied into the
 *                 block buffer during the callback (what the engine uses)
 *   queued-block  + a queued `block` subscriber (ring 1024, high water 512)
 *                 drained on backpressure into the same writer: the
 *                 dispatcher's deep copy into the ring, then the encoding
 *   json-lines    + a sync subscriber doing JSON.stringify of the event's
 *                 fields per event, lines joined and written per 256 KiB
 *
 * Each op = acquire CanonicalEvent + MergedEvent, fill an event (a fixed mix:
 * 7 trades, 7 quotes, 2 five-level book diffs per 16), publish, release.
 * Blocks go to a file in the OS temp dir. The timed loop never yields to the
 * event loop, so the async block writes cannot complete: every block after
 * the first is written synchronously (the recorder's slow path, when the disk
 * is two blocks behind) — an upper bound on the write cost. A regression
 * shows as ns/event up, or B/event above ~0 for sync (the steady state must
 * not allocate), or file bytes/event up.
 */
import { mkdtempSync, openSync, rmSync, statSync, writeSync, closeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { compare, sideBySide, type Scenario, type ScenarioResult, type Variant } from '../harness.js'
import { ManualClock } from '../../src/core/clock.js'
import { BoundedPool } from '../../src/core/pool.js'
import { CanonicalEvent, EventKind, MergedEvent, type ReadonlyMergedEvent } from '../../src/model/events.js'
import { InstrumentRegistry } from '../../src/model/instrument.js'
import { Dispatcher, type MergedHandler } from '../../src/pipeline/dispatcher.js'
import type { SubscriberQueue } from '../../src/pipeline/subscriber-queue.js'
import { RecordingWriter } from '../../src/replay/recording-writer.js'

type Mode = 'none' | 'sync' | 'queued-block' | 'json-lines'
const INSTRUMENTS = 4
const ALL_KINDS = [EventKind.Trade, EventKind.Quote, EventKind.BookDelta]

class Strategy implements MergedHandler {
  sum = 0
  onEvent(ev: ReadonlyMergedEvent): void {
    this.sum += ev.seq
  }
}

class WriterHandler implements MergedHandler {
  constructor(private readonly w: RecordingWriter) {}
  onEvent(ev: ReadonlyMergedEvent): void {
    this.w.write(ev)
  }
}

/** The naive recorder: one JSON line per event, written per 256 KiB. */
class JsonLines implements MergedHandler {
  private lines: string[] = []
  private size = 0
  bytes = 0
  constructor(private readonly fd: number) {}
  onEvent(m: ReadonlyMergedEvent): void {
    const ev = m.event!
    const line = JSON.stringify({
      seq: m.seq,
      source: m.sourceId,
      kind: m.kind,
      instrument: m.instrumentId,
      tsEventUs: ev.tsEventUs,
      tsRecvUs: ev.tsRecvUs,
      venueSeq: ev.venueSeq,
      priceM: ev.priceM,
      qtyM: ev.qtyM,
      bidPxM: ev.bidPxM,
      bidQtyM: ev.bidQtyM,
      askPxM: ev.askPxM,
      askQtyM: ev.askQtyM,
      bids: m.kind === EventKind.BookDelta ? Array.from(ev.bidPxs.subarray(0, ev.bidCount)) : undefined,
      bidQtys: m.kind === EventKind.BookDelta ? Array.from(ev.bidQtys.subarray(0, ev.bidCount)) : undefined,
      asks: m.kind === EventKind.BookDelta ? Array.from(ev.askPxs.subarray(0, ev.askCount)) : undefined,
      askQtys: m.kind === EventKind.BookDelta ? Array.from(ev.askQtys.subarray(0, ev.askCount)) : undefined,
    })
    this.lines.push(line)
    this.size += line.length + 1
    if (this.size >= 256 * 1024) this.flush()
  }
  flush(): void {
    if (this.lines.length === 0) return
    const buf = Buffer.from(this.lines.join('\n') + '\n')
    writeSync(this.fd, buf)
    this.bytes += buf.length
    this.lines = []
    this.size = 0
  }
}

interface RecorderVariant extends Variant {
  events: number
  fileBytes: () => number
  teardown: () => Promise<void>
}

function variant(mode: Mode, dir: string): RecorderVariant {
  const registry = new InstrumentRegistry()
  const ids: number[] = []
  for (let i = 0; i < INSTRUMENTS; i++) ids.push(registry.intern('bench', `SYM${i}USDT`))
  const canonicalPool = new BoundedPool({ name: 'CanonicalEvent', capacity: 64, create: () => new CanonicalEvent(), preallocate: true })
  const mergedPool = new BoundedPool({ name: 'MergedEvent', capacity: 64, create: () => new MergedEvent(), preallocate: true })
  let paused = false
  const d = new Dispatcher({ mergedPool, canonicalPool, registry, clock: new ManualClock(1), onBackpressure: (p) => (paused = p) })
  const strategy = new Strategy()
  d.subscribeSync({ name: 'strategy', kinds: ALL_KINDS, instruments: 'all', handler: strategy })
  const file = path.join(dir, `${mode}.rec`)
  let writer: RecordingWriter | null = null
  let json: JsonLines | null = null
  let jsonFd = -1
  let queue: SubscriberQueue | null = null
  if (mode === 'sync' || mode === 'queued-block') {
    writer = new RecordingWriter(file, { registry, sourceName: () => 'bench' })
    if (mode === 'sync') d.subscribeSync({ name: 'recorder', kinds: ALL_KINDS, instruments: 'all', handler: new WriterHandler(writer) })
    else queue = d.subscribeQueued({ name: 'recorder', kinds: ALL_KINDS, instruments: 'all', policy: 'block', capacity: 1024, highWater: 512, lowWater: 256 })
  } else if (mode === 'json-lines') {
    jsonFd = openSync(file, 'w')
    json = new JsonLines(jsonFd)
    d.subscribeSync({ name: 'recorder', kinds: ALL_KINDS, instruments: 'all', handler: json })
  }
  const w = writer
  const encode = (ev: ReadonlyMergedEvent): void => w!.write(ev)
  let seq = 0
  const v: RecorderVariant = {
    name: mode,
    events: 0,
    run: (ops) => {
      for (let i = 0; i < ops; i++) {
        const ev = canonicalPool.tryAcquire()!
        const m = mergedPool.tryAcquire()!
        const id = ids[i & (INSTRUMENTS - 1)]!
        const slot = i & 15
        const kind = slot < 7 ? EventKind.Trade : slot < 14 ? EventKind.Quote : EventKind.BookDelta
        ev.kind = kind
        ev.venueId = 1
        ev.instrumentId = id
        ev.priceScale = 2
        ev.qtyScale = 5
        ev.tsEventUs = 1_700_000_000_000_000 + i
        ev.tsRecvUs = 1_700_000_000_000_100 + i
        ev.venueSeq = 1_000_000 + i
        if (kind === EventKind.Trade) {
          ev.priceM = 6_000_000 + (i & 1023)
          ev.qtyM = 100 + (i & 7)
          ev.aggressor = 1 + (i & 1)
          ev.firstTradeId = i
          ev.lastTradeId = i
        } else if (kind === EventKind.Quote) {
          ev.bidPxM = 6_000_000 + (i & 1023)
          ev.bidQtyM = 100
          ev.askPxM = 6_000_001 + (i & 1023)
          ev.askQtyM = 200
        } else {
          for (let k = 0; k < 5; k++) {
            ev.pushBid(6_000_000 - k, 10 + k)
            ev.pushAsk(6_000_001 + k, 20 + k)
          }
        }
        m.seq = ++seq
        m.kind = kind
        m.venueId = 1
        m.instrumentId = id
        m.canonicalId = registry.canonicalOf(id)
        m.sourceId = 1
        m.tsMergedUs = 1
        m.event = ev
        d.publish(m)
        if (queue !== null && paused) queue.drain(encode, 1024)
      }
      v.events += ops
      return strategy.sum
    },
    fileBytes: () => {
      if (writer !== null) return writer.bytes
      if (json !== null) return json.bytes
      return 0
    },
    teardown: async () => {
      if (queue !== null) queue.drain(encode, 1 << 20)
      if (writer !== null) await writer.close()
      if (json !== null) {
        json.flush()
        closeSync(jsonFd)
      }
      if (mode !== 'none') void statSync(file)
    },
  }
  return v
}

export const recorderScenario: Scenario = {
  name: 'recorder',
  description: 'recording a run: sync recorder vs queued block subscriber vs JSON lines vs no recording (ns/event, B/event, file bytes/event)',
  async run(ctx) {
    const ops = ctx.quick ? 100_000 : 1_000_000
    const rounds = ctx.quick ? 3 : 5
    const dir = mkdtempSync(path.join(tmpdir(), 'tickflow-bench-rec-'))
    try {
      const vs = (['none', 'sync', 'queued-block', 'json-lines'] as Mode[]).map((m) => variant(m, dir))
      const res = compare(vs, ops, rounds)
      for (const v of vs) await v.teardown()
      const [none, sync, queued, json] = res as [typeof res[0], typeof res[0], typeof res[0], typeof res[0]]
      const perEvent = (v: RecorderVariant): number => Math.round((v.fileBytes() / Math.max(1, v.events)) * 10) / 10
      const fb = { sync: perEvent(vs[1]!), queued: perEvent(vs[2]!), json: perEvent(vs[3]!) }
      const rows: ScenarioResult[] = [
        sideBySide('recorder.sync', sync!, 'no recording', none!, { fileBytesPerEvent: fb.sync }),
        sideBySide('recorder.queued-block', queued!, 'no recording', none!, { fileBytesPerEvent: fb.queued }),
        sideBySide('recorder.sync-vs-json', sync!, 'JSON.stringify lines', json!, { fileBytesPerEvent: fb.sync, jsonFileBytesPerEvent: fb.json }),
        sideBySide('recorder.sync-vs-queued', sync!, 'queued block subscriber', queued!),
      ]
      return rows
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  },
}
