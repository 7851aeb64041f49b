/**
 * The reference mapping of Binance frames into ProviderRaw, over JSON.parse.
 *
 * This is the specification the fast path (codec/fast.ts) must reproduce
 * exactly, and the path every frame the fast path does not recognise takes
 * (escapes, whitespace, reordered or duplicated keys, exponents, replies,
 * errors, unknown event types, malformed input). It is the only file of the
 * codec allowed to call JSON.parse. It is cold code: clarity first.
 *
 * Status precedence (the first failing check decides):
 *   Oversize -> InvalidUtf8 -> Malformed (not JSON, not an object) ->
 *   Unsupported (unknown event type / shape) -> Malformed / UnknownSymbol
 *   (instrument resolution) -> Malformed (missing field, wrong JSON type) /
 *   BadNumber (a number that is not a safe integer, a decimal string that is
 *   not a plain non-negative decimal at the instrument's scale), checked field
 *   by field in the order of the mapping below.
 *
 * docs/codec.md documents the mapping field by field.
 */
import { isUtf8 } from 'node:buffer'
import { parseDecimal } from '../../../core/fixed-point.js'
import { type ProviderRaw, RawType } from '../../../model/provider-raw.js'
import { type CodecContext, DecodeStatus, KLINE_INTERVALS } from './types.js'

type Json = Record<string, unknown>

/** Thrown inside this module only, caught at its entry points. */
class Fail {
  constructor(readonly status: number) {}
}

const INTERVAL_SECONDS = new Map<string, number>(KLINE_INTERVALS)

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function has(o: Json, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key)
}

/** A JSON integer field: absent -> Malformed (or 0 when optional), not a number -> Malformed, not a safe integer -> BadNumber. */
function int(o: Json, key: string, required: boolean): number {
  if (!has(o, key)) {
    if (required) throw new Fail(DecodeStatus.Malformed)
    return 0
  }
  const v = o[key]
  if (typeof v !== 'number') throw new Fail(DecodeStatus.Malformed)
  if (!Number.isSafeInteger(v)) throw new Fail(DecodeStatus.BadNumber)
  return v
}

function bool(o: Json, key: string): boolean {
  const v = o[key]
  if (!has(o, key) || typeof v !== 'boolean') throw new Fail(DecodeStatus.Malformed)
  return v
}

/** A decimal string at `scale`: not a string -> Malformed; not a plain non-negative decimal that fits exactly -> BadNumber. */
function decimalValue(v: unknown, scale: number): number {
  if (typeof v !== 'string') throw new Fail(DecodeStatus.Malformed)
  let m: number
  try {
    m = parseDecimal(v, scale)
  } catch {
    throw new Fail(DecodeStatus.BadNumber)
  }
  if (m < 0) throw new Fail(DecodeStatus.BadNumber)
  return m
}

function dec(o: Json, key: string, scale: number): number {
  if (!has(o, key)) throw new Fail(DecodeStatus.Malformed)
  return decimalValue(o[key], scale)
}

/** `[[price, qty], ...]` in wire order; each level exactly two decimal strings. */
function levels(o: Json, key: string, pxScale: number, qtyScale: number, out: ProviderRaw, bids: boolean): void {
  const v = o[key]
  if (!has(o, key) || !Array.isArray(v)) throw new Fail(DecodeStatus.Malformed)
  for (let i = 0; i < v.length; i++) {
    const level: unknown = v[i]
    if (!Array.isArray(level) || level.length !== 2) throw new Fail(DecodeStatus.Malformed)
    const px = decimalValue(level[0], pxScale)
    const qty = decimalValue(level[1], qtyScale)
    if (bids) out.pushBid(px, qty)
    else out.pushAsk(px, qty)
  }
}

/** Bytes [start, end) as a string, or a Fail (Oversize, InvalidUtf8, Malformed). */
function parseRoot(ctx: CodecContext, buf: Uint8Array, start: number, end: number): Json {
  if (end - start > ctx.maxFrameBytes) throw new Fail(DecodeStatus.Oversize)
  const view = Buffer.from(buf.buffer, buf.byteOffset + start, end - start)
  if (!isUtf8(view)) throw new Fail(DecodeStatus.InvalidUtf8)
  let root: unknown
  try {
    root = JSON.parse(view.toString('utf8'))
  } catch {
    // SyntaxError, or RangeError on pathological nesting
    throw new Fail(DecodeStatus.Malformed)
  }
  if (!isObject(root)) throw new Fail(DecodeStatus.Malformed)
  return root
}

function run(body: () => void): number {
  try {
    body()
    return DecodeStatus.Ok
  } catch (err) {
    if (err instanceof Fail) return err.status
    return DecodeStatus.Malformed
  }
}

/**
 * Decodes one WebSocket text frame by JSON.parse + the reference mapping.
 * `out` must be in its reset state (recvTsUs aside). See decoder.ts `decode`.
 */
export function decodeWithJson(
  ctx: CodecContext,
  buf: Uint8Array,
  start: number,
  end: number,
  out: ProviderRaw,
  streamInstrumentId: number,
): number {
  return run(() => {
    const root = parseRoot(ctx, buf, start, end)
    let payload = root
    let envelope = false
    let streamSymbolId = 0
    let partialStream = false
    if (has(root, 'stream')) {
      const stream = root['stream']
      const data = root['data']
      if (typeof stream !== 'string' || !isObject(data)) throw new Fail(DecodeStatus.Malformed)
      envelope = true
      payload = data
      const at = stream.indexOf('@')
      streamSymbolId = ctx.symbolIds.get(at < 0 ? stream : stream.slice(0, at)) ?? 0
      partialStream = at >= 0 && /^depth[0-9]/.test(stream.slice(at + 1))
    } else if (has(root, 'error')) {
      mapError(root, out, ctx)
      return
    } else if (has(root, 'result')) {
      mapReply(root, out, ctx)
      return
    }

    // Classify the payload.
    let type: number
    if (has(payload, 'e')) {
      const e = payload['e']
      if (typeof e !== 'string') throw new Fail(DecodeStatus.Malformed)
      switch (e) {
        case 'trade':
          type = RawType.Trade
          break
        case 'aggTrade':
          type = RawType.AggTrade
          break
        case 'bookTicker':
          type = RawType.BookTicker
          break
        case 'depthUpdate':
          type = partialStream ? RawType.PartialDepth : RawType.DepthUpdate
          break
        case 'kline':
          type = RawType.Kline
          break
        case 'serverShutdown':
          type = RawType.ServerShutdown
          break
        default:
          throw new Fail(DecodeStatus.Unsupported)
      }
    } else if (has(payload, 'lastUpdateId')) {
      type = RawType.PartialDepth
    } else if (has(payload, 'u')) {
      type = RawType.BookTicker
    } else {
      throw new Fail(DecodeStatus.Unsupported)
    }

    out.venueId = ctx.venueId
    out.timeUnitUs = ctx.timeUnitUs
    if (type === RawType.ServerShutdown) {
      out.type = type
      out.eventTime = int(payload, 'E', true)
      return
    }

    // Resolve the instrument: `s` (or kline `k.s`), else the stream name, else the caller's stream instrument.
    let symbol: unknown = undefined
    if (has(payload, 's')) symbol = payload['s']
    if (type === RawType.Kline && isObject(payload['k']) && has(payload['k'], 's')) {
      const ks = payload['k']['s']
      if (symbol !== undefined && ks !== symbol) throw new Fail(DecodeStatus.Malformed)
      symbol = ks
    }
    let id: number
    if (symbol !== undefined) {
      if (typeof symbol !== 'string') throw new Fail(DecodeStatus.Malformed)
      id = ctx.symbolIds.get(symbol) ?? 0
      if (id === 0) throw new Fail(DecodeStatus.UnknownSymbol)
      if (streamSymbolId !== 0 && streamSymbolId !== id) throw new Fail(DecodeStatus.Malformed)
    } else {
      id = envelope ? streamSymbolId : streamInstrumentId
      if (id === 0) throw new Fail(DecodeStatus.UnknownSymbol)
    }
    const pxScale = ctx.registry.priceScales[id]!
    const qtyScale = ctx.registry.qtyScales[id]!
    const usdm = ctx.market === 'usdm'
    out.instrumentId = id

    switch (type) {
      case RawType.Trade:
        out.eventTime = int(payload, 'E', true)
        out.tradeTime = int(payload, 'T', true)
        out.tradeId = int(payload, 't', true)
        out.priceM = dec(payload, 'p', pxScale)
        out.qtyM = dec(payload, 'q', qtyScale)
        out.buyerIsMaker = bool(payload, 'm')
        break
      case RawType.AggTrade:
        out.eventTime = int(payload, 'E', true)
        out.tradeTime = int(payload, 'T', true)
        out.tradeId = int(payload, 'a', true)
        out.firstTradeId = int(payload, 'f', true)
        out.lastTradeId = int(payload, 'l', true)
        out.priceM = dec(payload, 'p', pxScale)
        out.qtyM = dec(payload, 'q', qtyScale)
        out.buyerIsMaker = bool(payload, 'm')
        break
      case RawType.BookTicker:
        out.updateId = int(payload, 'u', true)
        out.eventTime = int(payload, 'E', usdm)
        out.tradeTime = int(payload, 'T', usdm)
        out.bidPxM = dec(payload, 'b', pxScale)
        out.bidQtyM = dec(payload, 'B', qtyScale)
        out.askPxM = dec(payload, 'a', pxScale)
        out.askQtyM = dec(payload, 'A', qtyScale)
        break
      case RawType.DepthUpdate:
        mapDepthUpdate(payload, out, usdm, pxScale, qtyScale)
        break
      case RawType.PartialDepth:
        if (has(payload, 'e')) {
          // USD-M partial depth: a depthUpdate-shaped event on a depth<N> stream.
          mapDepthUpdate(payload, out, usdm, pxScale, qtyScale)
        } else {
          out.updateId = int(payload, 'lastUpdateId', true)
          out.eventTime = int(payload, 'E', false)
          out.tradeTime = int(payload, 'T', false)
          levels(payload, 'bids', pxScale, qtyScale, out, true)
          levels(payload, 'asks', pxScale, qtyScale, out, false)
        }
        break
      case RawType.Kline:
        mapKline(payload, out, ctx, id, pxScale, qtyScale)
        break
    }
    out.type = type
  })
}

function mapDepthUpdate(payload: Json, out: ProviderRaw, usdm: boolean, pxScale: number, qtyScale: number): void {
  out.eventTime = int(payload, 'E', true)
  out.tradeTime = int(payload, 'T', usdm)
  out.firstUpdateId = int(payload, 'U', true)
  out.updateId = int(payload, 'u', true)
  out.prevUpdateId = int(payload, 'pu', usdm)
  levels(payload, 'b', pxScale, qtyScale, out, true)
  levels(payload, 'a', pxScale, qtyScale, out, false)
}

function mapKline(payload: Json, out: ProviderRaw, ctx: CodecContext, id: number, pxScale: number, qtyScale: number): void {
  out.eventTime = int(payload, 'E', true)
  const k = payload['k']
  if (!isObject(k)) throw new Fail(DecodeStatus.Malformed)
  out.klineStart = int(k, 't', true)
  out.klineClose = int(k, 'T', true)
  const i = k['i']
  if (typeof i !== 'string') throw new Fail(DecodeStatus.Malformed)
  const seconds = INTERVAL_SECONDS.get(i)
  if (seconds === undefined) throw new Fail(DecodeStatus.Malformed)
  out.klineIntervalSec = seconds
  out.firstTradeId = int(k, 'f', true)
  out.lastTradeId = int(k, 'L', true)
  out.openM = dec(k, 'o', pxScale)
  out.closeM = dec(k, 'c', pxScale)
  out.highM = dec(k, 'h', pxScale)
  out.lowM = dec(k, 'l', pxScale)
  out.volumeM = dec(k, 'v', qtyScale)
  out.klineTrades = int(k, 'n', true)
  out.klineClosed = bool(k, 'x')
  out.quoteVolumeM = dec(k, 'q', ctx.registry.spec(id).notionalScale)
}

/** `id`: a non-negative safe integer, or null (-> 0). */
function replyId(root: Json): number {
  if (!has(root, 'id')) throw new Fail(DecodeStatus.Malformed)
  const v = root['id']
  if (v === null) return 0
  if (typeof v !== 'number') throw new Fail(DecodeStatus.Malformed)
  if (!Number.isSafeInteger(v) || v < 0) throw new Fail(DecodeStatus.BadNumber)
  return v
}

function mapReply(root: Json, out: ProviderRaw, ctx: CodecContext): void {
  out.replyId = replyId(root)
  out.venueId = ctx.venueId
  out.timeUnitUs = ctx.timeUnitUs
  ctx.lastReplyResult = root['result']
  out.type = RawType.Reply
}

function mapError(root: Json, out: ProviderRaw, ctx: CodecContext): void {
  const error = root['error']
  if (!isObject(error)) throw new Fail(DecodeStatus.Malformed)
  const code = int(error, 'code', true)
  const msg = error['msg']
  if (typeof msg !== 'string') throw new Fail(DecodeStatus.Malformed)
  out.replyId = replyId(root)
  out.errorCode = code
  out.errorMsg = msg
  out.venueId = ctx.venueId
  out.timeUnitUs = ctx.timeUnitUs
  out.type = RawType.Error
}

/**
 * Decodes a REST depth snapshot body ({lastUpdateId, bids, asks}; USD-M adds
 * E and T, optional here) for `instrumentId` (already validated by the caller).
 */
export function decodeSnapshotWithJson(
  ctx: CodecContext,
  buf: Uint8Array,
  start: number,
  end: number,
  instrumentId: number,
  out: ProviderRaw,
): number {
  return run(() => {
    const root = parseRoot(ctx, buf, start, end)
    if (instrumentId === 0) throw new Fail(DecodeStatus.UnknownSymbol)
    const pxScale = ctx.registry.priceScales[instrumentId]!
    const qtyScale = ctx.registry.qtyScales[instrumentId]!
    out.venueId = ctx.venueId
    out.timeUnitUs = ctx.timeUnitUs
    out.instrumentId = instrumentId
    out.updateId = int(root, 'lastUpdateId', true)
    out.eventTime = int(root, 'E', false)
    out.tradeTime = int(root, 'T', false)
    levels(root, 'bids', pxScale, qtyScale, out, true)
    levels(root, 'asks', pxScale, qtyScale, out, false)
    out.type = RawType.DepthSnapshot
  })
}
