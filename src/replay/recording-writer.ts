/**
 * RecordingWriter: appends merged events to a `.tfrec` file (layout in
 * recording-format.ts, docs/recording.md).
 *
 * Design decisions:
 *
 * - Called synchronously with the pooled event (a sync dispatcher
 *   subscriber): it copies the event's fields into a preallocated block buffer
 *   through typed-array views. No allocation per event; no per-event copy into
 *   a subscriber ring first (a queued `block` subscriber would add that copy:
 *   bench/scenarios/recorder.ts measures both).
 * - Two block buffers (default 256 KiB each). A full block gets its header
 *   (length, record count, CRC-32 of the payload) and is handed to an
 *   asynchronous positional `fs.write`; encoding goes on in the other buffer.
 *   When the other buffer is still being written (the disk is two blocks
 *   behind), the full block is written with `fs.writeSync` instead: the event
 *   loop stalls, the sockets are not read, and the venues' TCP windows close:
 *   the recorder never drops and never grows. Stalls are counted
 *   (`syncWrites`). Memory is bounded by 2 × the block size (a single record
 *   larger than a block grows the buffer once, to that record's size).
 * - Dictionary records (sources, venues, instruments) are written before the
 *   first event that references them, prefix-closed (ids 1..k in order), so a
 *   reader that interns them in file order gets the same ids. Checking costs
 *   three integer compares per event.
 * - A write error puts the writer in the failed state: the error is reported
 *   once (`onError`), later events are counted as `lost`, and close() rejects.
 */
import { closeSync, fsyncSync, openSync, write as fsWrite, writeSync } from 'node:fs'
import { endianness } from 'node:os'
import { crc32 } from 'node:zlib'
import { epochUs, type Clock } from '../core/clock.js'
import { ErrorCode, TickflowError, describeError } from '../core/errors.js'
import { EventKind, type ReadonlyMergedEvent } from '../model/events.js'
import type { InstrumentRegistry } from '../model/instrument.js'
import {
  BLOCK_FLAG_DICTIONARY,
  BLOCK_HEADER_BYTES,
  BLOCK_MAGIC,
  DICT_HEADER_BYTES,
  END_RECORD_BYTES,
  EventFlag,
  FILE_HEADER_BYTES,
  FileFlag,
  ORDERING_CODES,
  RECORDING_MAGIC,
  RECORDING_VERSION,
  RecordType,
  align8,
  eventRecordBytes,
} from './recording-format.js'

export interface RecordingWriterOptions {
  registry: InstrumentRegistry
  /** the name of a merger source id (venue connection); cold path, once per source */
  sourceName: (sourceId: number) => string
  /** the merger's ordering, stored in the header (default 'arrival') */
  ordering?: 'arrival' | 'event-time'
  /** whether the merger emits consolidated BBO events (header flag; default true) */
  consolidatedBbo?: boolean
  /** bytes per block buffer (two are allocated); default 256 KiB, min 4 KiB */
  blockBytes?: number
  clock?: Clock
  /** told once when a write fails (the writer stops recording) */
  onError?: (err: TickflowError) => void
}

export interface RecordingWriterStats {
  file: string
  events: number
  bytes: number
  blocks: number
  /** blocks written synchronously because the previous one was still in flight */
  syncWrites: number
  /** events not recorded after a write error */
  lost: number
  lastSeq: number
  failed: boolean
  error: string | null
}

/** The result of close(). */
export interface RecordingSummary {
  file: string
  events: number
  bytes: number
  lastSeq: number
}

const DEFAULT_BLOCK_BYTES = 256 * 1024

/** One block buffer and its typed views (all over the same ArrayBuffer, byteOffset 0). */
class BlockBuffer {
  buf: Buffer
  f64: Float64Array
  u32: Uint32Array
  u16: Uint16Array
  u8: Uint8Array
  inFlight = false
  /** the pending async write: its length and file position */
  writeLen = 0
  writePos = 0
  readonly done: (err: NodeJS.ErrnoException | null, written: number) => void

  constructor(bytes: number, onDone: (b: BlockBuffer, err: NodeJS.ErrnoException | null, written: number) => void) {
    this.buf = Buffer.allocUnsafeSlow(bytes)
    this.f64 = new Float64Array(this.buf.buffer, 0, bytes >>> 3)
    this.u32 = new Uint32Array(this.buf.buffer, 0, bytes >>> 2)
    this.u16 = new Uint16Array(this.buf.buffer, 0, bytes >>> 1)
    this.u8 = new Uint8Array(this.buf.buffer, 0, bytes)
    this.done = (err, written) => onDone(this, err, written)
  }

  grow(bytes: number): void {
    this.buf = Buffer.allocUnsafeSlow(bytes)
    this.f64 = new Float64Array(this.buf.buffer, 0, bytes >>> 3)
    this.u32 = new Uint32Array(this.buf.buffer, 0, bytes >>> 2)
    this.u16 = new Uint16Array(this.buf.buffer, 0, bytes >>> 1)
    this.u8 = new Uint8Array(this.buf.buffer, 0, bytes)
  }
}

export class RecordingWriter {
  readonly file: string
  private readonly registry: InstrumentRegistry
  private readonly sourceName: (sourceId: number) => string
  private readonly clock: Clock
  private readonly onError: ((err: TickflowError) => void) | null
  private fd: number
  private filePos = 0

  private active: BlockBuffer
  private spare: BlockBuffer
  // the active buffer's views, cached (the hot path reads fields of `this` only)
  private f64: Float64Array
  private u32: Uint32Array
  private u16: Uint16Array
  private u8: Uint8Array
  private cap: number
  private pos = BLOCK_HEADER_BYTES
  private blockRecords = 0
  private blockFlags = 0

  private maxSource = 0
  private maxVenue = 0
  private maxInstrument = 0
  private maxCanonical = 0

  private closed = false
  private inFlight = 0
  private idleWaiter: (() => void) | null = null
  private errorValue: TickflowError | null = null

  events = 0
  bytes = 0
  blocks = 0
  syncWrites = 0
  lost = 0
  lastSeq = 0

  /** Creates (truncates) `file` and writes the file header. Throws RECORDING_IO when it cannot. */
  constructor(file: string, options: RecordingWriterOptions) {
    if (endianness() !== 'LE') throw new TickflowError(ErrorCode.RECORDING_IO, 'recording needs a little-endian host')
    this.file = file
    this.registry = options.registry
    this.sourceName = options.sourceName
    this.clock = options.clock ?? { nowUs: epochUs }
    this.onError = options.onError ?? null
    const blockBytes = align8(Math.max(4096, options.blockBytes ?? DEFAULT_BLOCK_BYTES))
    const onDone = (b: BlockBuffer, err: NodeJS.ErrnoException | null, written: number): void => this.writeDone(b, err, written)
    this.active = new BlockBuffer(blockBytes, onDone)
    this.spare = new BlockBuffer(blockBytes, onDone)
    this.f64 = this.active.f64
    this.u32 = this.active.u32
    this.u16 = this.active.u16
    this.u8 = this.active.u8
    this.cap = blockBytes
    try {
      this.fd = openSync(file, 'w')
    } catch (err) {
      throw new TickflowError(ErrorCode.RECORDING_IO, `recording: cannot create ${file}: ${describeError(err)}`, { cause: err })
    }
    const h = Buffer.alloc(FILE_HEADER_BYTES)
    for (let i = 0; i < RECORDING_MAGIC.length; i++) h[i] = RECORDING_MAGIC[i]!
    h.writeUInt16LE(RECORDING_VERSION, 8)
    h.writeUInt8(ORDERING_CODES[options.ordering ?? 'arrival'], 10)
    h.writeUInt8(options.consolidatedBbo === false ? 0 : FileFlag.ConsolidatedBbo, 11)
    h.writeDoubleLE(this.clock.nowUs(), 16)
    try {
      this.writeAllSync(h, FILE_HEADER_BYTES, 0)
    } catch (err) {
      closeSync(this.fd)
      throw new TickflowError(ErrorCode.RECORDING_IO, `recording: cannot write ${file}: ${describeError(err)}`, { cause: err })
    }
    this.filePos = FILE_HEADER_BYTES
  }

  /** true after a write error (events are then counted as `lost`) */
  get failed(): boolean {
    return this.errorValue !== null
  }

  get error(): TickflowError | null {
    return this.errorValue
  }

  /**
   * Records one merged event (hot path; read during the call, nothing kept).
   * Never throws: after a write error, events are counted as lost.
   */
  write(m: ReadonlyMergedEvent): void {
    const ev = m.event
    if (ev === null || this.closed || this.errorValue !== null) {
      this.lost++
      return
    }
    const kind = m.kind
    const isBbo = kind === EventKind.Bbo
    const id = isBbo ? m.canonicalId : m.instrumentId
    if (
      m.sourceId > this.maxSource ||
      m.venueId > this.maxVenue ||
      (isBbo ? id > this.maxCanonical || ev.bidVenueId > this.maxVenue || ev.askVenueId > this.maxVenue : id > this.maxInstrument)
    ) {
      this.writeDictionary(m.sourceId, m.venueId, isBbo ? 0 : id, isBbo ? id : 0, isBbo ? Math.max(ev.bidVenueId, ev.askVenueId) : 0)
    }
    const isBook = kind === EventKind.BookDelta
    const bids = isBook ? ev.bidCount : 0
    const asks = isBook ? ev.askCount : 0
    const bytes = eventRecordBytes(kind, bids, asks)
    if (this.pos + bytes > this.cap) this.makeRoom(bytes)
    const o = this.pos
    const u8 = this.u8
    const u32 = this.u32
    const f64 = this.f64
    const i8 = o >>> 3
    const i4 = o >>> 2
    let flags = 0
    if (m.late) flags |= EventFlag.Late
    u8[o] = RecordType.Event
    u8[o + 1] = kind
    u32[i4 + 1] = bytes
    f64[i8 + 1] = m.seq
    u32[i4 + 4] = id
    this.u16[(o >>> 1) + 10] = m.sourceId
    this.u16[(o >>> 1) + 11] = m.venueId
    u8[o + 24] = ev.priceScale
    u8[o + 25] = ev.qtyScale
    u8[o + 26] = ev.quoteScale
    u8[o + 27] = 0
    u32[i4 + 7] = 0
    f64[i8 + 4] = ev.tsEventUs
    f64[i8 + 5] = ev.tsRecvUs
    f64[i8 + 6] = ev.tsTradeUs
    f64[i8 + 7] = ev.venueSeq
    const b = i8 + 8
    let small = 0
    switch (kind) {
      case EventKind.Trade:
        small = ev.aggressor
        f64[b] = ev.priceM
        f64[b + 1] = ev.qtyM
        f64[b + 2] = ev.firstTradeId
        f64[b + 3] = ev.lastTradeId
        break
      case EventKind.Quote:
        f64[b] = ev.bidPxM
        f64[b + 1] = ev.bidQtyM
        f64[b + 2] = ev.askPxM
        f64[b + 3] = ev.askQtyM
        break
      case EventKind.BookDelta: {
        if (ev.isSnapshot) flags |= EventFlag.Snapshot
        u32[(b << 1)] = bids
        u32[(b << 1) + 1] = asks
        f64[b + 1] = ev.firstUpdateId
        f64[b + 2] = ev.prevUpdateId
        let k = b + 3
        const bp = ev.bidPxs
        const bq = ev.bidQtys
        for (let i = 0; i < bids; i++) f64[k + i] = bp[i]!
        k += bids
        for (let i = 0; i < bids; i++) f64[k + i] = bq[i]!
        k += bids
        const ap = ev.askPxs
        const aq = ev.askQtys
        for (let i = 0; i < asks; i++) f64[k + i] = ap[i]!
        k += asks
        for (let i = 0; i < asks; i++) f64[k + i] = aq[i]!
        break
      }
      case EventKind.Bar:
        if (ev.barClosed) flags |= EventFlag.BarClosed
        f64[b] = ev.barStartUs
        f64[b + 1] = ev.barEndUs
        f64[b + 2] = ev.barIntervalSec
        f64[b + 3] = ev.openM
        f64[b + 4] = ev.highM
        f64[b + 5] = ev.lowM
        f64[b + 6] = ev.closeM
        f64[b + 7] = ev.volumeM
        f64[b + 8] = ev.quoteVolumeM
        f64[b + 9] = ev.barTrades
        break
      case EventKind.BookInvalidated:
      case EventKind.BookResynced:
      case EventKind.TradeGap:
        small = ev.reason
        f64[b] = ev.gapFrom
        f64[b + 1] = ev.gapTo
        break
      case EventKind.Bbo:
        f64[b] = ev.bidPxM
        f64[b + 1] = ev.bidQtyM
        f64[b + 2] = ev.askPxM
        f64[b + 3] = ev.askQtyM
        f64[b + 4] = ev.bidVenueId
        f64[b + 5] = ev.askVenueId
        break
      default:
        break
    }
    u8[o + 2] = flags
    u8[o + 3] = small
    this.pos = o + bytes
    this.blockRecords++
    this.events++
    this.lastSeq = m.seq
  }

  /** Hands the current block to the disk (async when the other buffer is free). No-op when empty. */
  flush(): void {
    if (this.pos > BLOCK_HEADER_BYTES && this.errorValue === null) this.submitBlock(false)
  }

  /**
   * Writes what is buffered and an end record, waits for every write, syncs
   * and closes the file. Idempotent. Rejects with the write error, if any.
   */
  async close(): Promise<RecordingSummary> {
    if (!this.closed) {
      this.closed = true
      await this.whenIdle()
      if (this.errorValue === null) {
        try {
          if (this.pos + END_RECORD_BYTES > this.cap) this.submitBlock(true)
          const o = this.pos
          this.u8.fill(0, o, o + END_RECORD_BYTES)
          this.u8[o] = RecordType.End
          this.u32[(o >>> 2) + 1] = END_RECORD_BYTES
          this.f64[(o >>> 3) + 1] = this.events
          this.f64[(o >>> 3) + 2] = this.lastSeq
          this.f64[(o >>> 3) + 3] = this.clock.nowUs()
          this.pos = o + END_RECORD_BYTES
          this.blockRecords++
          this.submitBlock(true)
          fsyncSync(this.fd)
        } catch (err) {
          this.fail(err)
        }
      }
      try {
        closeSync(this.fd)
      } catch (err) {
        this.fail(err)
      }
    }
    if (this.errorValue !== null) throw this.errorValue
    return { file: this.file, events: this.events, bytes: this.bytes, lastSeq: this.lastSeq }
  }

  stats(): RecordingWriterStats {
    return {
      file: this.file,
      events: this.events,
      bytes: this.bytes,
      blocks: this.blocks,
      syncWrites: this.syncWrites,
      lost: this.lost,
      lastSeq: this.lastSeq,
      failed: this.errorValue !== null,
      error: this.errorValue === null ? null : this.errorValue.message,
    }
  }

  // ---------------------------------------------------------------- cold paths

  private makeRoom(bytes: number): void {
    this.submitBlock(false)
    const need = BLOCK_HEADER_BYTES + bytes + END_RECORD_BYTES
    if (need > this.cap) {
      // One record larger than a block (a deep book snapshot): grow this buffer once.
      let n = this.cap
      while (n < need) n *= 2
      this.active.grow(n)
      this.useActive()
    }
  }

  private useActive(): void {
    const a = this.active
    this.f64 = a.f64
    this.u32 = a.u32
    this.u16 = a.u16
    this.u8 = a.u8
    this.cap = a.buf.length
  }

  /** Finishes the block header and writes the block (sync when forced or when the spare is busy). */
  private submitBlock(forceSync: boolean): void {
    const len = this.pos
    if (len <= BLOCK_HEADER_BYTES) return
    const a = this.active
    const u32 = this.u32
    u32[0] = BLOCK_MAGIC
    u32[1] = len - BLOCK_HEADER_BYTES
    u32[2] = this.blockRecords
    u32[3] = crc32(a.u8.subarray(BLOCK_HEADER_BYTES, len)) >>> 0
    u32[4] = this.blockFlags
    u32[5] = 0
    const at = this.filePos
    this.filePos += len
    this.bytes += len
    this.blocks++
    this.pos = BLOCK_HEADER_BYTES
    this.blockRecords = 0
    this.blockFlags = 0
    if (forceSync || this.spare.inFlight) {
      if (!forceSync) this.syncWrites++
      try {
        this.writeAllSync(a.buf, len, at)
      } catch (err) {
        this.fail(err)
      }
      return
    }
    a.inFlight = true
    a.writeLen = len
    a.writePos = at
    this.inFlight++
    fsWrite(this.fd, a.buf, 0, len, at, a.done)
    this.active = this.spare
    this.spare = a
    this.useActive()
  }

  private writeDone(b: BlockBuffer, err: NodeJS.ErrnoException | null, written: number): void {
    if (err !== null) this.fail(err)
    else if (written < b.writeLen && this.errorValue === null) {
      // A short write (rare on files): finish it synchronously.
      try {
        this.writeAllSync(b.buf.subarray(written, b.writeLen), b.writeLen - written, b.writePos + written)
      } catch (e) {
        this.fail(e)
      }
    }
    b.inFlight = false
    this.inFlight--
    if (this.inFlight === 0 && this.idleWaiter !== null) {
      const w = this.idleWaiter
      this.idleWaiter = null
      w()
    }
  }

  private whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve()
    return new Promise((resolve) => {
      this.idleWaiter = resolve
    })
  }

  /** Writes `len` bytes of `buf` at `position` (positional: independent of writes in flight). */
  private writeAllSync(buf: Buffer, len: number, position: number): void {
    let off = 0
    while (off < len) off += writeSync(this.fd, buf, off, len - off, position + off)
  }

  private fail(err: unknown): void {
    if (this.errorValue !== null) return
    this.errorValue = new TickflowError(ErrorCode.RECORDING_IO, `recording ${this.file}: write failed: ${describeError(err)}`, { cause: err })
    this.onError?.(this.errorValue)
  }

  /** Writes the dictionary records an event needs (prefix-closed: ids 1..k in order). */
  private writeDictionary(sourceId: number, venueId: number, instrumentId: number, canonicalId: number, extraVenueId: number): void {
    const reg = this.registry
    let needInstrument = instrumentId
    if (canonicalId > this.maxCanonical) {
      // A Bbo for a canonical instrument not yet defined: define every instrument known so far.
      needInstrument = Math.max(needInstrument, reg.size)
    }
    let needVenue = Math.max(venueId, extraVenueId)
    for (let i = this.maxInstrument + 1; i <= needInstrument && reg.has(i); i++) needVenue = Math.max(needVenue, reg.venueOfInstrument(i))
    while (this.maxSource < sourceId) {
      this.maxSource++
      this.dictRecord(RecordType.Source, this.maxSource, this.sourceName(this.maxSource))
    }
    while (this.maxVenue < needVenue) {
      this.maxVenue++
      this.dictRecord(RecordType.Venue, this.maxVenue, reg.venueName(this.maxVenue))
    }
    while (this.maxInstrument < needInstrument && reg.has(this.maxInstrument + 1)) {
      this.maxInstrument++
      const c = reg.canonicalOf(this.maxInstrument)
      if (c > this.maxCanonical) this.maxCanonical = c
      this.dictRecord(RecordType.Instrument, this.maxInstrument, JSON.stringify(reg.spec(this.maxInstrument)))
    }
  }

  private dictRecord(type: number, id: number, text: string): void {
    const textBytes = Buffer.byteLength(text, 'utf8')
    const bytes = align8(DICT_HEADER_BYTES + textBytes)
    if (this.pos + bytes > this.cap) this.makeRoom(bytes)
    const o = this.pos
    this.u8.fill(0, o, o + bytes)
    this.u8[o] = type
    this.u32[(o >>> 2) + 1] = bytes
    this.u32[(o >>> 2) + 2] = id
    this.u32[(o >>> 2) + 3] = textBytes
    this.active.buf.write(text, o + DICT_HEADER_BYTES, textBytes, 'utf8')
    this.pos = o + bytes
    this.blockRecords++
    this.blockFlags |= BLOCK_FLAG_DICTIONARY
  }
}
