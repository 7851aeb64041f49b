/**
 * The Binance market-data decoder: WebSocket text frames (raw payloads or the
 * combined {"stream","data"} envelope) and REST depth snapshots, straight from
 * the frame bytes into a pooled ProviderRaw.
 *
 * Two paths, one result:
 * - the fast path (codec/fast.ts) reads the bytes in place: single-character
 *   keys in any order, exact decimals parsed arithmetically at the
 *   instrument's scales, symbols resolved through a byte-keyed table; no
 *   string, no intermediate object, no allocation;
 * - anything it does not recognise (whitespace, escapes, exponents, reordered
 *   or duplicated keys, replies, errors, unknown types, malformed input) goes
 *   to the JSON.parse reference mapping (codec/fallback.ts), which yields the
 *   same value the fast path would, or a coded status. Never a wrong value.
 *
 * decode() never throws. A non-Ok status is counted (stats()) and its error
 * code is left in `lastError`; `out` is then unspecified and must not be used.
 */
import { ErrorCode, TickflowError } from '../../../core/errors.js'
import type { InstrumentRegistry } from '../../../model/instrument.js'
import type { ProviderRaw } from '../../../model/provider-raw.js'
import { decodeSnapshotWithJson, decodeWithJson } from './fallback.js'
import { FAST_OK, FastPath, resetKeepingRecvTime } from './fast.js'
import { SymbolTable } from './symbols.js'
import { type BinanceMarket, type CodecContext, DECODE_STATUS_CODES, DECODE_STATUS_COUNT, DecodeStatus } from './types.js'

export { DecodeStatus, type DecodeStatusValue, type BinanceMarket, KLINE_INTERVALS } from './types.js'

export interface BinanceDecoderOptions {
  market: BinanceMarket
  venueId: number
  /** scales per instrument id */
  registry: InstrumentRegistry
  /** registry venue name, e.g. 'binance-spot' */
  venueName: string
  /** µs per venue time unit: 1000 (ms, the default) or 1 (timeUnit=MICROSECOND) */
  timeUnitUs?: number
  /** larger frames -> Oversize (default 1 MiB) */
  maxFrameBytes?: number
}

export interface BinanceDecoderStats {
  /** decode() and decodeSnapshot() calls */
  frames: number
  /** calls the fast path decoded */
  fastPath: number
  /** of fastPath: frames decoded through their stream's learned layout (codec/layouts.ts) */
  layoutPath: number
  /** layouts learned (one per stream; again after the symbol table changes) */
  layoutsLearned: number
  /** calls that went to the JSON.parse reference mapping */
  fallbackPath: number
  /** calls that returned a non-Ok status */
  errors: number
  /** errors by DecodeStatus (index = status; index 0 unused) */
  errorsByStatus: number[]
}

export const DEFAULT_MAX_FRAME_BYTES = 1 << 20

export class BinanceDecoder implements CodecContext {
  readonly market: BinanceMarket
  readonly venueId: number
  readonly venueName: string
  readonly timeUnitUs: number
  readonly maxFrameBytes: number
  readonly registry: InstrumentRegistry
  readonly symbolIds = new Map<string, number>()
  /** the `result` of the last Reply decoded (null for SUBSCRIBE/UNSUBSCRIBE successes; the list for LIST_SUBSCRIPTIONS) */
  lastReplyResult: unknown = null
  /** Code of the last error ('' when none), for logs. */
  lastError = ''

  private readonly table = new SymbolTable()
  private readonly fast: FastPath
  private frames = 0
  private fastCount = 0
  private fallbackCount = 0
  private errorCount = 0
  private readonly errorsByStatus = new Float64Array(DECODE_STATUS_COUNT)

  constructor(options: BinanceDecoderOptions) {
    if (options.market !== 'spot' && options.market !== 'usdm') {
      throw new TickflowError(ErrorCode.CONFIG_INVALID, `BinanceDecoder: market must be 'spot' or 'usdm', got ${String(options.market)}`)
    }
    const timeUnitUs = options.timeUnitUs ?? 1000
    if (timeUnitUs !== 1000 && timeUnitUs !== 1) {
      throw new TickflowError(ErrorCode.CONFIG_INVALID, `BinanceDecoder: timeUnitUs must be 1000 or 1, got ${timeUnitUs}`)
    }
    const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
    if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes <= 0) {
      throw new TickflowError(ErrorCode.CONFIG_INVALID, `BinanceDecoder: maxFrameBytes must be a positive integer, got ${maxFrameBytes}`)
    }
    this.market = options.market
    this.venueId = options.venueId
    this.venueName = options.venueName
    this.registry = options.registry
    this.timeUnitUs = timeUnitUs
    this.maxFrameBytes = maxFrameBytes
    this.fast = new FastPath(this.market === 'usdm', this.venueId, this.timeUnitUs, this.registry, this.table)
  }

  /**
   * Registers a venue symbol (e.g. 'BTCUSDT') so frames naming it decode (in
   * `s` and, lowercased, in stream names); returns its instrument id
   * (registry.intern, or the existing id). Cold path: call at subscribe time.
   */
  addSymbol(symbol: string): number {
    if (typeof symbol !== 'string' || symbol.length === 0) {
      throw new TickflowError(ErrorCode.CONFIG_INVALID, 'BinanceDecoder.addSymbol: symbol must be a non-empty string')
    }
    const id = this.registry.intern(this.venueName, symbol)
    for (const key of new Set([symbol, symbol.toLowerCase()])) {
      this.symbolIds.set(key, id)
      this.table.add(Buffer.from(key, 'utf8'), id)
    }
    return id
  }

  /**
   * Decodes one WebSocket text frame from buf[start, end) into `out` (the
   * caller resets it; recvTsUs is left as the caller set it).
   * `streamInstrumentId` is the instrument of a raw-connection stream when
   * known (Spot partial depth carries no symbol), else 0. Returns a
   * DecodeStatus; never throws; sets out.type on Ok.
   */
  decode(buf: Uint8Array, start: number, end: number, out: ProviderRaw, streamInstrumentId = 0): number {
    this.frames++
    const sid = this.validInstrument(streamInstrumentId)
    if (end - start > this.maxFrameBytes) return this.fail(DecodeStatus.Oversize)
    if (this.fast.frame(buf, start, end, out, sid) === FAST_OK) {
      this.fastCount++
      return DecodeStatus.Ok
    }
    this.fallbackCount++
    resetKeepingRecvTime(out)
    const st = decodeWithJson(this, buf, start, end, out, sid)
    return st === DecodeStatus.Ok ? st : this.fail(st)
  }

  /**
   * Decodes a REST depth snapshot body (Spot {lastUpdateId,bids,asks}; USD-M
   * adds E, T) for an instrument into `out` (type DepthSnapshot).
   */
  decodeSnapshot(buf: Uint8Array, start: number, end: number, instrumentId: number, out: ProviderRaw): number {
    this.frames++
    const id = this.validInstrument(instrumentId)
    if (end - start > this.maxFrameBytes) return this.fail(DecodeStatus.Oversize)
    if (id !== 0 && this.fast.snapshot(buf, start, end, id, out) === FAST_OK) {
      this.fastCount++
      return DecodeStatus.Ok
    }
    this.fallbackCount++
    resetKeepingRecvTime(out)
    const st = decodeSnapshotWithJson(this, buf, start, end, id, out)
    return st === DecodeStatus.Ok ? st : this.fail(st)
  }

  stats(): BinanceDecoderStats {
    return {
      frames: this.frames,
      fastPath: this.fastCount,
      layoutPath: this.fast.layoutHits,
      layoutsLearned: this.fast.layoutsLearned,
      fallbackPath: this.fallbackCount,
      errors: this.errorCount,
      errorsByStatus: Array.from(this.errorsByStatus),
    }
  }

  /** The id when it names a registered instrument, else 0. */
  private validInstrument(id: number): number {
    return (id | 0) === id && id > 0 && this.registry.has(id) ? id : 0
  }

  private fail(status: number): number {
    this.errorCount++
    this.errorsByStatus[status] = this.errorsByStatus[status]! + 1
    this.lastError = DECODE_STATUS_CODES[status]!
    return status
  }
}
