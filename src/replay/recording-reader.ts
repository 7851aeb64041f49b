/**
 * Reading a run recording (`.tfrec`, recording-format.ts): the dictionary is
 * re-interned into a fresh InstrumentRegistry (same ids as the live run: the
 * writer emits ids 1..k in order), and the events come back as
 * CanonicalEvents with their recorded seq, source and flags, in file order.
 *
 * Every block's length, magic, record count and CRC-32 are checked; each
 * record's type, length and references too. Anything wrong is a
 * REPLAY_FORMAT error that names the file and the byte offset (and
 * `details.offset`). A file without its end record (the run was killed) is
 * an error too, unless `allowUnclosed` is set: then reading stops quietly
 * after the last complete block.
 *
 * A tool path: sync reads of one block at a time (memory bounded by the
 * largest block), a generator, one reused RecordedEvent.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { crc32 } from 'node:zlib'
import { ErrorCode, TickflowError, describeError } from '../core/errors.js'
import { CanonicalEvent, EVENT_KIND_COUNT, EventKind } from '../model/events.js'
import { InstrumentRegistry, type InstrumentSpec } from '../model/instrument.js'
import {
  BLOCK_FLAG_DICTIONARY,
  BLOCK_HEADER_BYTES,
  BLOCK_MAGIC,
  DICT_HEADER_BYTES,
  END_RECORD_BYTES,
  EVENT_HEADER_BYTES,
  EventFlag,
  FILE_HEADER_BYTES,
  FileFlag,
  MAX_BLOCK_PAYLOAD,
  ORDERING_NAMES,
  RECORDING_VERSION,
  RecordType,
  eventBodyBytes,
  eventRecordBytes,
  isRecordingHeader,
} from './recording-format.js'

export interface RecordingHeader {
  version: number
  ordering: 'arrival' | 'event-time'
  consolidatedBbo: boolean
  /** when the recording started, epoch µs */
  startedAtUs: number
}

/** The end record a clean close writes. */
export interface RecordingEnd {
  events: number
  lastSeq: number
  endedAtUs: number
}

/** One recorded event; the object and its `event` are reused: valid until the next one. */
export interface RecordedEvent {
  /** byte offset of the record in the file */
  offset: number
  seq: number
  /** merger source id (venue connection), see `RecordingReader.sourceNames` */
  sourceId: number
  kind: number
  venueId: number
  /** instrument id (0 for Bbo) */
  instrumentId: number
  /** Bbo only: the canonical instrument id */
  canonicalId: number
  /** event-time ordering: published after the watermark had passed it */
  late: boolean
  event: CanonicalEvent
}

export interface ReadRecordingOptions {
  /** accept a recording without an end record (killed run): stop after its last complete block */
  allowUnclosed?: boolean
}

function formatError(file: string, offset: number, message: string): TickflowError {
  return new TickflowError(ErrorCode.REPLAY_FORMAT, `${file}: offset ${offset}: ${message}`, { details: { file, offset } })
}

/** True when `file` starts with the recording magic (content detection; extension ignored). */
export function isRecordingFile(file: string): boolean {
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch {
    // unreadable: not ours to report here; the caller's own reader reports it
    return false
  }
  try {
    const head = Buffer.alloc(8)
    const n = readSync(fd, head, 0, 8, 0)
    return n === 8 && isRecordingHeader(head)
  } finally {
    closeSync(fd)
  }
}

/** Opens a recording and checks its header. Throws REPLAY_FORMAT (or RECORDING_IO when it cannot be read). */
export function readRecording(file: string, options: ReadRecordingOptions = {}): RecordingReader {
  return new RecordingReader(file, options)
}

export class RecordingReader implements Iterable<RecordedEvent> {
  readonly file: string
  readonly header: RecordingHeader
  /** the live run's instruments and venues, with the same ids */
  readonly registry = new InstrumentRegistry()
  /** merger source names by source id (index 0 unused) */
  readonly sourceNames: string[] = ['']
  readonly fileBytes: number
  private readonly allowUnclosed: boolean

  /** after a full iteration: the end record, or null when the file had none (allowUnclosed) */
  end: RecordingEnd | null = null
  blocks = 0
  records = 0
  events = 0
  /** true when the file had no end record and reading stopped at its last complete block */
  unclosed = false

  private buf: Buffer = Buffer.allocUnsafeSlow(256 * 1024)
  private f64 = new Float64Array(this.buf.buffer, 0, this.buf.length >>> 3)
  private u32 = new Uint32Array(this.buf.buffer, 0, this.buf.length >>> 2)
  private u16 = new Uint16Array(this.buf.buffer, 0, this.buf.length >>> 1)
  private readonly out: RecordedEvent = {
    offset: 0,
    seq: 0,
    sourceId: 0,
    kind: 0,
    venueId: 0,
    instrumentId: 0,
    canonicalId: 0,
    late: false,
    event: new CanonicalEvent(),
  }

  constructor(file: string, options: ReadRecordingOptions = {}) {
    this.file = file
    this.allowUnclosed = options.allowUnclosed === true
    let fd: number
    try {
      fd = openSync(file, 'r')
    } catch (err) {
      throw new TickflowError(ErrorCode.RECORDING_IO, `cannot open recording ${file}: ${describeError(err)}`, { cause: err })
    }
    try {
      this.fileBytes = fstatSync(fd).size
      const h = Buffer.alloc(FILE_HEADER_BYTES)
      const n = readSync(fd, h, 0, FILE_HEADER_BYTES, 0)
      if (n < 8 || !isRecordingHeader(h)) throw formatError(file, 0, 'not a tickflow recording (bad magic)')
      if (n < FILE_HEADER_BYTES) throw formatError(file, n, `file header cut short (${n} of ${FILE_HEADER_BYTES} bytes)`)
      const version = h.readUInt16LE(8)
      if (version !== RECORDING_VERSION) throw formatError(file, 8, `unsupported recording version ${version} (this build reads ${RECORDING_VERSION})`)
      const ordering = ORDERING_NAMES[h.readUInt8(10)]
      if (ordering === undefined) throw formatError(file, 10, `unknown ordering code ${h.readUInt8(10)}`)
      this.header = { version, ordering, consolidatedBbo: (h.readUInt8(11) & FileFlag.ConsolidatedBbo) !== 0, startedAtUs: h.readDoubleLE(16) }
    } finally {
      closeSync(fd)
    }
  }

  /**
   * Reads only the blocks that hold dictionary records, so the registry and
   * source names are complete before iterating (strategies resolve
   * instruments in onStart). Event blocks are skipped, not read.
   */
  loadDictionary(): void {
    for (const _ of this.scanner(true)) {
      // a dictionary-only scan yields no events
    }
  }

  /** The events in file order (one pass per iteration; the yielded object is reused). */
  [Symbol.iterator](): Iterator<RecordedEvent> {
    return this.scanner(false)
  }

  private *scanner(dictionaryOnly: boolean): Generator<RecordedEvent, void, undefined> {
    const file = this.file
    let fd: number
    try {
      fd = openSync(file, 'r')
    } catch (err) {
      throw new TickflowError(ErrorCode.RECORDING_IO, `cannot open recording ${file}: ${describeError(err)}`, { cause: err })
    }
    const size = this.fileBytes
    const hdr = Buffer.alloc(BLOCK_HEADER_BYTES)
    if (!dictionaryOnly) {
      this.blocks = 0
      this.records = 0
      this.events = 0
      this.end = null
      this.unclosed = false
    }
    let pos = FILE_HEADER_BYTES
    let sawEnd = false
    try {
      for (;;) {
        if (pos >= size) {
          if (!sawEnd && !dictionaryOnly) {
            if (this.allowUnclosed) {
              this.unclosed = true
              return
            }
            throw formatError(file, pos, `truncated: no end record after ${this.events} events (the recording was not closed: was the run killed?)`)
          }
          return
        }
        if (sawEnd) throw formatError(file, pos, 'data after the end record')
        const got = readSync(fd, hdr, 0, BLOCK_HEADER_BYTES, pos)
        if (got < BLOCK_HEADER_BYTES) {
          if (this.allowUnclosed) {
            if (!dictionaryOnly) this.unclosed = true
            return
          }
          throw formatError(file, pos, `truncated: block header cut short (${got} of ${BLOCK_HEADER_BYTES} bytes)`)
        }
        const magic = hdr.readUInt32LE(0)
        if (magic !== BLOCK_MAGIC) throw formatError(file, pos, `corrupt: expected a block (magic 0x${BLOCK_MAGIC.toString(16)}), found 0x${magic.toString(16)}`)
        const len = hdr.readUInt32LE(4)
        const count = hdr.readUInt32LE(8)
        const crc = hdr.readUInt32LE(12)
        const flags = hdr.readUInt32LE(16)
        if (len % 8 !== 0 || len > MAX_BLOCK_PAYLOAD) throw formatError(file, pos, `corrupt: block length ${len}`)
        const payloadAt = pos + BLOCK_HEADER_BYTES
        if (payloadAt + len > size) {
          if (this.allowUnclosed) {
            if (!dictionaryOnly) this.unclosed = true
            return
          }
          throw formatError(file, pos, `truncated: block needs ${len} payload bytes, the file ends ${size - payloadAt} bytes after its header`)
        }
        if (dictionaryOnly && (flags & BLOCK_FLAG_DICTIONARY) === 0) {
          pos = payloadAt + len
          continue
        }
        this.ensure(len)
        let off = 0
        while (off < len) {
          const n = readSync(fd, this.buf, off, len - off, payloadAt + off)
          if (n <= 0) throw formatError(file, payloadAt + off, 'truncated: unexpected end of file')
          off += n
        }
        const actual = crc32(this.buf.subarray(0, len)) >>> 0
        if (actual !== crc) throw formatError(file, pos, `corrupt: block checksum mismatch (stored 0x${crc.toString(16)}, computed 0x${actual.toString(16)})`)
        let r = 0
        let n = 0
        while (r < len) {
          const at = payloadAt + r
          if (len - r < 8) throw formatError(file, at, 'corrupt: record header cut short')
          const type = this.buf[r]!
          const bytes = this.u32[(r >>> 2) + 1]!
          if (bytes < 8 || bytes % 8 !== 0 || r + bytes > len) throw formatError(file, at, `corrupt: record length ${bytes}`)
          n++
          switch (type) {
            case RecordType.Source:
            case RecordType.Venue:
            case RecordType.Instrument:
              this.dictionaryRecord(type, r, bytes, at)
              break
            case RecordType.Event:
              if (!dictionaryOnly) {
                this.decodeEvent(r, bytes, at)
                this.events++
                yield this.out
              }
              break
            case RecordType.End:
              if (bytes !== END_RECORD_BYTES || r + bytes !== len) throw formatError(file, at, 'corrupt: misplaced end record')
              sawEnd = true
              if (!dictionaryOnly) {
                const i8 = r >>> 3
                this.end = { events: this.f64[i8 + 1]!, lastSeq: this.f64[i8 + 2]!, endedAtUs: this.f64[i8 + 3]! }
                if (this.end.events !== this.events) {
                  throw formatError(file, at, `corrupt: end record counts ${this.end.events} events, the file holds ${this.events}`)
                }
              }
              break
            default:
              throw formatError(file, at, `corrupt: unknown record type ${type}`)
          }
          r += bytes
        }
        if (n !== count) throw formatError(file, pos, `corrupt: block holds ${n} records, its header says ${count}`)
        if (!dictionaryOnly) {
          this.blocks++
          this.records += n
        }
        pos = payloadAt + len
      }
    } finally {
      closeSync(fd)
    }
  }

  private ensure(len: number): void {
    if (this.buf.length >= len) return
    let n = this.buf.length
    while (n < len) n *= 2
    this.buf = Buffer.allocUnsafeSlow(n)
    this.f64 = new Float64Array(this.buf.buffer, 0, n >>> 3)
    this.u32 = new Uint32Array(this.buf.buffer, 0, n >>> 2)
    this.u16 = new Uint16Array(this.buf.buffer, 0, n >>> 1)
  }

  private dictionaryRecord(type: number, r: number, bytes: number, at: number): void {
    const id = this.u32[(r >>> 2) + 2]!
    const textBytes = this.u32[(r >>> 2) + 3]!
    if (DICT_HEADER_BYTES + textBytes > bytes) throw formatError(this.file, at, `corrupt: dictionary text of ${textBytes} bytes in a ${bytes}-byte record`)
    const text = this.buf.toString('utf8', r + DICT_HEADER_BYTES, r + DICT_HEADER_BYTES + textBytes)
    const reg = this.registry
    if (type === RecordType.Source) {
      if (id === this.sourceNames.length) this.sourceNames.push(text)
      else if (this.sourceNames[id] !== text) throw formatError(this.file, at, `corrupt: source ${id} (${text}) out of order`)
      return
    }
    if (type === RecordType.Venue) {
      const got = reg.venueId(text)
      if (got !== id) throw formatError(this.file, at, `corrupt: venue ${text} recorded as id ${id}, re-interned as ${got}`)
      return
    }
    let spec: InstrumentSpec
    try {
      spec = JSON.parse(text) as InstrumentSpec
    } catch (err) {
      throw formatError(this.file, at, `corrupt: instrument ${id}: ${describeError(err)}`)
    }
    let got: number
    try {
      got = reg.define(spec)
    } catch (err) {
      throw formatError(this.file, at, `corrupt: instrument ${id}: ${describeError(err)}`)
    }
    if (got !== id) throw formatError(this.file, at, `corrupt: instrument ${spec.venue}:${spec.symbol} recorded as id ${id}, re-interned as ${got}`)
  }

  private decodeEvent(r: number, bytes: number, at: number): void {
    const u8 = this.buf
    const u32 = this.u32
    const f64 = this.f64
    const kind = u8[r + 1]!
    if (kind === EventKind.None || kind >= EVENT_KIND_COUNT) throw formatError(this.file, at, `corrupt: event kind ${kind}`)
    const i4 = r >>> 2
    const i8 = r >>> 3
    const b = i8 + 8
    const isBook = kind === EventKind.BookDelta
    if (bytes < EVENT_HEADER_BYTES + eventBodyBytes(kind)) throw formatError(this.file, at, `corrupt: ${bytes}-byte record for event kind ${kind}`)
    const bids = isBook ? u32[b << 1]! : 0
    const asks = isBook ? u32[(b << 1) + 1]! : 0
    if (bytes !== eventRecordBytes(kind, bids, asks)) throw formatError(this.file, at, `corrupt: ${bytes}-byte record for event kind ${kind}`)
    const o = this.out
    const flags = u8[r + 2]!
    const small = u8[r + 3]!
    o.offset = at
    o.kind = kind
    o.seq = f64[i8 + 1]!
    const id = u32[i4 + 4]!
    o.sourceId = this.u16[(r >>> 1) + 10]!
    o.venueId = this.u16[(r >>> 1) + 11]!
    o.late = (flags & EventFlag.Late) !== 0
    o.instrumentId = kind === EventKind.Bbo ? 0 : id
    o.canonicalId = kind === EventKind.Bbo ? id : id > 0 && this.registry.has(id) ? this.registry.canonicalOf(id) : 0
    if (o.sourceId >= this.sourceNames.length) throw formatError(this.file, at, `corrupt: event from undefined source ${o.sourceId}`)
    if (kind !== EventKind.Bbo && id > 0 && !this.registry.has(id)) throw formatError(this.file, at, `corrupt: event for undefined instrument ${id}`)
    const ev = o.event
    ev.reset()
    ev.kind = kind
    ev.venueId = o.venueId
    ev.instrumentId = o.instrumentId
    ev.priceScale = u8[r + 24]!
    ev.qtyScale = u8[r + 25]!
    ev.quoteScale = u8[r + 26]!
    ev.tsEventUs = f64[i8 + 4]!
    ev.tsRecvUs = f64[i8 + 5]!
    ev.tsTradeUs = f64[i8 + 6]!
    ev.venueSeq = f64[i8 + 7]!
    switch (kind) {
      case EventKind.Trade:
        ev.aggressor = small
        ev.priceM = f64[b]!
        ev.qtyM = f64[b + 1]!
        ev.firstTradeId = f64[b + 2]!
        ev.lastTradeId = f64[b + 3]!
        break
      case EventKind.Quote:
        ev.bidPxM = f64[b]!
        ev.bidQtyM = f64[b + 1]!
        ev.askPxM = f64[b + 2]!
        ev.askQtyM = f64[b + 3]!
        break
      case EventKind.BookDelta: {
        ev.isSnapshot = (flags & EventFlag.Snapshot) !== 0
        ev.firstUpdateId = f64[b + 1]!
        ev.prevUpdateId = f64[b + 2]!
        ev.reserveBids(bids)
        ev.reserveAsks(asks)
        let k = b + 3
        for (let i = 0; i < bids; i++) ev.bidPxs[i] = f64[k + i]!
        k += bids
        for (let i = 0; i < bids; i++) ev.bidQtys[i] = f64[k + i]!
        k += bids
        for (let i = 0; i < asks; i++) ev.askPxs[i] = f64[k + i]!
        k += asks
        for (let i = 0; i < asks; i++) ev.askQtys[i] = f64[k + i]!
        ev.bidCount = bids
        ev.askCount = asks
        break
      }
      case EventKind.Bar:
        ev.barClosed = (flags & EventFlag.BarClosed) !== 0
        ev.barStartUs = f64[b]!
        ev.barEndUs = f64[b + 1]!
        ev.barIntervalSec = f64[b + 2]!
        ev.openM = f64[b + 3]!
        ev.highM = f64[b + 4]!
        ev.lowM = f64[b + 5]!
        ev.closeM = f64[b + 6]!
        ev.volumeM = f64[b + 7]!
        ev.quoteVolumeM = f64[b + 8]!
        ev.barTrades = f64[b + 9]!
        break
      case EventKind.BookInvalidated:
      case EventKind.BookResynced:
      case EventKind.TradeGap:
        ev.reason = small
        ev.gapFrom = f64[b]!
        ev.gapTo = f64[b + 1]!
        break
      case EventKind.Bbo:
        ev.bidPxM = f64[b]!
        ev.bidQtyM = f64[b + 1]!
        ev.askPxM = f64[b + 2]!
        ev.askQtyM = f64[b + 3]!
        ev.bidVenueId = f64[b + 4]!
        ev.askVenueId = f64[b + 5]!
        break
      default:
        break
    }
  }
}
