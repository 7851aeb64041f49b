/**
 * The fast path of the Binance decoder: reads a frame's bytes in place into a
 * ProviderRaw (node-performance.md §3.1).
 *
 * - Keys are dispatched by their bytes (single characters, `pu`, and the few
 *   long keys of depth snapshots and the envelope) in any order; keys a
 *   message type does not use are skipped (their values validated).
 * - Integers and decimal strings are parsed arithmetically; decimals go
 *   straight to mantissas at the instrument's scales.
 * - Symbols resolve through the byte-keyed SymbolTable (no string).
 * - Numbers travel through a Float64Array scratch and existing object
 *   fields; functions return small ints or booleans (no boxed doubles).
 *
 * It answers only FAST_OK or FAST_FALLBACK. Whatever it does not fully
 * recognise (whitespace, escapes, non-ASCII outside a known symbol, exponents,
 * signs, more than 15 integer digits, duplicated or missing keys, nesting it
 * does not expect, unknown event types, replies and errors, a symbol the
 * table lacks) falls back, and the JSON.parse reference mapping
 * (codec/fallback.ts) decides. So the fast path can only ever produce what
 * the reference produces: the differential and fuzz tests check exactly that.
 */
import type { InstrumentRegistry } from '../../../model/instrument.js'
import { type ProviderRaw, RawType } from '../../../model/provider-raw.js'
import { FNV_OFFSET, fnvStep, type SymbolTable } from './symbols.js'
import { KLINE_INTERVALS } from './types.js'
import { type Layout, LayoutTable, Op, Shape, layoutHash, learnLayout } from './layouts.js'
import { VAL, boolAt, decimalAt, intAt, intAtWide, isDigit, skipAt } from './values.js'

export const FAST_OK = 0
export const FAST_FALLBACK = -1

const QUOTE = 34
const COMMA = 44
const COLON = 58
const BACKSLASH = 92
const LBRACE = 123
const RBRACE = 125
const LBRACK = 91
const RBRACK = 93
const AT = 64
const CH_e = 101
const CH_E = 69

// Key codes (readKey): a single-byte key is its byte value (< 128).
const K_FAIL = -1
const K_UNKNOWN = 0
const K_PU = 200
const K_LAST_UPDATE_ID = 201
const K_BIDS = 202
const K_ASKS = 203
const K_STREAM = 204
const K_DATA = 205
const K_ERROR = 206
const K_RESULT = 207

// Field bits (seen/read/required masks).
const F_E = 1 << 0
const F_T = 1 << 1
const F_s = 1 << 2
const F_t = 1 << 3
const F_p = 1 << 4
const F_q = 1 << 5
const F_m = 1 << 6
const F_a = 1 << 7
const F_f = 1 << 8
const F_l = 1 << 9
const F_u = 1 << 10
const F_U = 1 << 11
const F_b = 1 << 12
const F_B = 1 << 13
const F_A = 1 << 14
const F_pu = 1 << 15
const F_k = 1 << 16
const F_LUI = 1 << 17
const F_BIDS = 1 << 18
const F_ASKS = 1 << 19

// Kline body bits.
const KF_t = 1 << 0
const KF_T = 1 << 1
const KF_s = 1 << 2
const KF_i = 1 << 3
const KF_f = 1 << 4
const KF_L = 1 << 5
const KF_o = 1 << 6
const KF_c = 1 << 7
const KF_h = 1 << 8
const KF_l = 1 << 9
const KF_v = 1 << 10
const KF_n = 1 << 11
const KF_x = 1 << 12
const KF_q = 1 << 13
const KLINE_REQUIRED = KF_t | KF_T | KF_i | KF_f | KF_L | KF_o | KF_c | KF_h | KF_l | KF_v | KF_n | KF_x | KF_q

// Message kinds of the fast path (index into the mask tables).
const M_TRADE = 0
const M_AGG = 1
const M_TICKER = 2
const M_DEPTH = 3
const M_PARTIAL_SPOT = 4
const M_KLINE = 5
const M_SHUTDOWN = 6
const M_SNAPSHOT = 7

/** Key code -> field bit (0 for keys no kind reads). */
const KEY_BITS = new Int32Array(256)
KEY_BITS[CH_E] = F_E
KEY_BITS[84 /* T */] = F_T
KEY_BITS[115 /* s */] = F_s
KEY_BITS[116 /* t */] = F_t
KEY_BITS[112 /* p */] = F_p
KEY_BITS[113 /* q */] = F_q
KEY_BITS[109 /* m */] = F_m
KEY_BITS[97 /* a */] = F_a
KEY_BITS[102 /* f */] = F_f
KEY_BITS[108 /* l */] = F_l
KEY_BITS[117 /* u */] = F_u
KEY_BITS[85 /* U */] = F_U
KEY_BITS[98 /* b */] = F_b
KEY_BITS[66 /* B */] = F_B
KEY_BITS[65 /* A */] = F_A
KEY_BITS[K_PU] = F_pu
KEY_BITS[107 /* k */] = F_k
KEY_BITS[K_LAST_UPDATE_ID] = F_LUI
KEY_BITS[K_BIDS] = F_BIDS
KEY_BITS[K_ASKS] = F_ASKS

/** Keys each kind reads (others are skipped), by kind. */
const READ_MASK = new Int32Array([
  F_E | F_T | F_s | F_t | F_p | F_q | F_m,
  F_E | F_T | F_s | F_a | F_p | F_q | F_f | F_l | F_m,
  F_E | F_T | F_s | F_u | F_b | F_B | F_a | F_A,
  F_E | F_T | F_s | F_U | F_u | F_pu | F_b | F_a,
  F_E | F_T | F_s | F_LUI | F_BIDS | F_ASKS,
  F_E | F_s | F_k,
  F_E,
  F_E | F_T | F_LUI | F_BIDS | F_ASKS,
])

function requiredMasks(usdm: boolean): Int32Array {
  return new Int32Array([
    F_E | F_T | F_t | F_p | F_q | F_m,
    F_E | F_T | F_a | F_p | F_q | F_f | F_l | F_m,
    F_u | F_b | F_B | F_a | F_A | (usdm ? F_E | F_T : 0),
    F_E | F_U | F_u | F_b | F_a | (usdm ? F_T | F_pu : 0),
    F_LUI | F_BIDS | F_ASKS,
    F_E | F_k,
    F_E,
    F_LUI | F_BIDS | F_ASKS,
  ])
}

const EV_TRADE = bytes('trade')
const EV_AGG = bytes('aggTrade')
const EV_TICKER = bytes('bookTicker')
const EV_DEPTH = bytes('depthUpdate')
const EV_KLINE = bytes('kline')
const EV_SHUTDOWN = bytes('serverShutdown')
const KEY_LUI = bytes('lastUpdateId')
const KEY_BIDS = bytes('bids')
const KEY_ASKS = bytes('asks')
const KEY_STREAM = bytes('stream')
const KEY_DATA = bytes('data')
const KEY_ERROR = bytes('error')
const KEY_RESULT = bytes('result')
const DEPTH = bytes('depth')
/** `{"stream":` and `,"data":{"`: the combined-stream envelope as Binance writes it (checked as literals first). */
const ENV_HEAD = bytes('{"stream":')
const ENV_DATA = bytes(',"data":{"')
/** `"trade"` with its quotes */
const Q_TRADE = bytes('"trade"')
/** Field bits the in-order trade layout reads (tradeInOrder). */
const TRADE_IN_ORDER = F_E | F_s | F_t | F_p | F_q | F_T | F_m

/** Kline intervals packed as (len, bytes) ints, and their seconds. */
const INTERVAL_KEYS = new Int32Array(KLINE_INTERVALS.length)
const INTERVAL_SECS = new Int32Array(KLINE_INTERVALS.length)
for (let i = 0; i < KLINE_INTERVALS.length; i++) {
  const [name, secs] = KLINE_INTERVALS[i]!
  const b = bytes(name)
  INTERVAL_KEYS[i] = packInterval(b, 0, b.length)
  INTERVAL_SECS[i] = secs
}

function bytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'))
}

function packInterval(b: Uint8Array, start: number, len: number): number {
  let k = len
  for (let i = 0; i < len; i++) k = (k << 8) | b[start + i]!
  return k
}

const EMPTY = new Uint8Array(0)
/** Longest stream name / symbol the one-entry caches hold. */
const CACHE_BYTES = 64

/** True when b[p, p + n) equals cache[0, n) and b[p + n] is the closing quote. */
function cachedMatch(b: Uint8Array, p: number, end: number, cache: Uint8Array, n: number): boolean {
  if (n < 0 || p + n >= end || b[p + n] !== QUOTE) return false
  for (let k = 0; k < n; k++) if (b[p + k] !== cache[k]) return false
  return true
}

export class FastPath {
  private buf: Uint8Array = EMPTY
  private pos = 0
  private end = 0
  /** scratch for parsed numbers: [0] value / price, [1] quantity */
  private readonly num = new Float64Array(2)
  /** instrument resolved so far (0 = none), and its scales */
  private inst = 0
  private pxScale = 0
  private qtyScale = 0
  /** envelope: the stream name's instrument (0 = unknown) and whether it names a partial depth stream */
  private streamSym = 0
  private partial = false
  /**
   * false while decoding a raw payload at the frame's root, where the
   * reference gives "stream", "error" and "result" keys a meaning wherever
   * they stand (envelope, error, reply): the fast path then falls back.
   */
  private nested = false
  private readonly required: Int32Array
  /**
   * One-entry caches in front of the symbol table: the last stream name
   * (whole, with its lookup result and partial flag) and the last `s` symbol.
   * A frame whose bytes equal the cached ones (up to the closing quote) skips
   * the hashing; valid while the table's version is unchanged.
   */
  private readonly streamCache = new Uint8Array(CACHE_BYTES)
  private streamCacheLen = -1
  private streamCacheSym = 0
  private streamCachePartial = false
  private streamCacheVersion = -1
  private readonly symCache = new Uint8Array(CACHE_BYTES)
  private symCacheLen = -1
  private symCacheId = 0
  private symCacheVersion = -1
  /** learned layouts of combined-stream frames (codec/layouts.ts) */
  private readonly layouts = new LayoutTable()
  /** a DataView over the ArrayBuffer of the bytes being decoded (the literals are compared four bytes at a time) */
  private dv: DataView = new DataView(new ArrayBuffer(0))
  private dvBuffer: ArrayBufferLike | null = null
  /** the bytes `dv` was last set up for, and their offset in its ArrayBuffer */
  private dvBytes: Uint8Array | null = null
  private dvBase = 0
  /** frames decoded through a layout */
  layoutHits = 0
  /** layouts learned */
  layoutsLearned = 0

  constructor(
    readonly usdm: boolean,
    readonly venueId: number,
    readonly timeUnitUs: number,
    readonly registry: InstrumentRegistry,
    readonly table: SymbolTable,
  ) {
    this.required = requiredMasks(usdm)
  }

  /** Decodes a WebSocket frame; FAST_OK or FAST_FALLBACK. `sid`: validated stream instrument id or 0. */
  frame(buf: Uint8Array, start: number, end: number, out: ProviderRaw, sid: number): number {
    const layouts = this.layouts
    if (layouts.version !== this.table.version) layouts.clear(this.table.version)
    let hash = -1
    if (buf[start] === LBRACE && buf[start + 1] === QUOTE && buf[start + 2] === 115 /* s */) {
      if (buf !== this.dvBytes) this.viewOf(buf)
      hash = layoutHash(this.dv, this.dvBase + start, end - start)
      if (hash >= 0 && layouts.size > 0 && this.byLayout(buf, start, end, out, hash)) {
        this.layoutHits++
        return FAST_OK
      }
    }
    const st = this.keyByKey(buf, start, end, out, sid)
    if (st === FAST_OK && hash >= 0 && this.streamSym !== 0 && layouts.canLearn()) {
      const layout = learnLayout(buf, start, end, out.type, out.instrumentId, hash)
      if (layout !== null) {
        layouts.add(layout)
        this.layoutsLearned++
      }
    }
    return st
  }

  /**
   * A frame through the learned layout of its stream: true when it matched
   * (out is filled), false when it must take the key-by-key path (out is
   * then back in its reset state, receive time kept).
   */
  private byLayout(buf: Uint8Array, start: number, end: number, out: ProviderRaw, hash: number): boolean {
    const layouts = this.layouts
    const dv = this.dv
    const base = this.dvBase
    let lay: Layout | null = null
    for (let w = 0; w < layouts.ways; w++) {
      const c = layouts.slot(hash, w)
      if (c !== null && literalAt(dv, base, buf, start, end, c, 0)) {
        lay = c
        break
      }
    }
    if (lay === null) return false
    out.venueId = this.venueId
    out.timeUnitUs = this.timeUnitUs
    this.buf = buf
    this.end = end
    this.nested = true
    this.setInstrument(lay.instrumentId)
    const ops = lay.ops
    const px = this.pxScale
    const qty = this.qtyScale
    let p = start + lay.lits[0]!
    let i = 0
    if (lay.shape === Shape.SpotTrade) {
      // Binance Spot's trade order, straight-line: E, (s), t, p, q, T, m; the one-letter keys between are checked inline
      p = intAtWide(dv, base, buf, p, end)
      if (p < 0 || !literalAt(dv, base, buf, p, end, lay, 1)) return failed(out)
      out.eventTime = VAL[0]!
      p = intAtWide(dv, base, buf, p + lay.lits[3]!, end)
      if (p < 0 || !key1At(dv, base, buf, p, end, KEY1_p)) return failed(out)
      out.tradeId = VAL[0]!
      p = decimalAt(buf, p + 5, end, px)
      if (p < 0 || !key1At(dv, base, buf, p, end, KEY1_q)) return failed(out)
      out.priceM = VAL[0]!
      p = decimalAt(buf, p + 5, end, qty)
      if (p < 0 || !key1At(dv, base, buf, p, end, KEY1_T)) return failed(out)
      out.qtyM = VAL[0]!
      p = intAtWide(dv, base, buf, p + 5, end)
      if (p < 0 || !key1At(dv, base, buf, p, end, KEY1_m)) return failed(out)
      out.tradeTime = VAL[0]!
      p = boolAt(buf, p + 5, end)
      if (p < 0 || !literalAt(dv, base, buf, p, end, lay, 6)) return failed(out)
      out.buyerIsMaker = VAL[0] === 1
      p += lay.lits[18]!
      i = 6
    }
    for (; i < ops.length; i++) {
      switch (ops[i]) {
        case Op.Skip:
          p = skipAt(buf, p, end)
          break
        case Op.EventTime:
          p = intAtWide(dv, base, buf, p, end)
          out.eventTime = VAL[0]!
          break
        case Op.TradeTime:
          p = intAtWide(dv, base, buf, p, end)
          out.tradeTime = VAL[0]!
          break
        case Op.TradeId:
          p = intAtWide(dv, base, buf, p, end)
          out.tradeId = VAL[0]!
          break
        case Op.FirstTradeId:
          p = intAtWide(dv, base, buf, p, end)
          out.firstTradeId = VAL[0]!
          break
        case Op.LastTradeId:
          p = intAtWide(dv, base, buf, p, end)
          out.lastTradeId = VAL[0]!
          break
        case Op.UpdateId:
          p = intAtWide(dv, base, buf, p, end)
          out.updateId = VAL[0]!
          break
        case Op.FirstUpdateId:
          p = intAtWide(dv, base, buf, p, end)
          out.firstUpdateId = VAL[0]!
          break
        case Op.PrevUpdateId:
          p = intAtWide(dv, base, buf, p, end)
          out.prevUpdateId = VAL[0]!
          break
        case Op.Price:
          p = decimalAt(buf, p, end, px)
          out.priceM = VAL[0]!
          break
        case Op.Qty:
          p = decimalAt(buf, p, end, qty)
          out.qtyM = VAL[0]!
          break
        case Op.BidPx:
          p = decimalAt(buf, p, end, px)
          out.bidPxM = VAL[0]!
          break
        case Op.BidQty:
          p = decimalAt(buf, p, end, qty)
          out.bidQtyM = VAL[0]!
          break
        case Op.AskPx:
          p = decimalAt(buf, p, end, px)
          out.askPxM = VAL[0]!
          break
        case Op.AskQty:
          p = decimalAt(buf, p, end, qty)
          out.askQtyM = VAL[0]!
          break
        case Op.BuyerIsMaker:
          p = boolAt(buf, p, end)
          out.buyerIsMaker = VAL[0] === 1
          break
        case Op.Bids:
        case Op.Asks:
          this.pos = p
          p = this.readLevels(out, ops[i] === Op.Bids) ? this.pos : -1
          break
        default:
          p = -1
      }
      if (p < 0 || !literalAt(dv, base, buf, p, end, lay, i + 1)) return failed(out)
      p += lay.lits[3 * i + 3]!
    }
    if (p !== end) return failed(out)
    out.instrumentId = lay.instrumentId
    out.type = lay.type
    return true
  }

  /**
   * Points `dv` at the ArrayBuffer under `buf` (a new DataView only when the
   * ArrayBuffer changes: once per socket read with either transport, whose
   * messages are views of the read's chunk).
   */
  private viewOf(buf: Uint8Array): void {
    const ab = buf.buffer
    if (ab !== this.dvBuffer) {
      this.dv = new DataView(ab)
      this.dvBuffer = ab
    }
    this.dvBytes = buf
    this.dvBase = buf.byteOffset
  }

  /** The key-by-key path (any key order, any message the fast path knows). */
  private keyByKey(buf: Uint8Array, start: number, end: number, out: ProviderRaw, sid: number): number {
    this.buf = buf
    this.end = end
    this.streamSym = 0
    this.partial = false
    this.nested = false
    if (end - start < 2 || buf[start] !== LBRACE || buf[start + 1] !== QUOTE) return FAST_FALLBACK
    this.pos = start + 2
    out.venueId = this.venueId
    out.timeUnitUs = this.timeUnitUs
    // The envelope as Binance writes it is matched as literals; anything else takes the key-by-key path.
    const env = end - start > ENV_HEAD.length && equalBytes(buf, start, ENV_HEAD)
    if (env) this.pos = start + ENV_HEAD.length
    const key = env ? K_STREAM : this.readKey()
    if (key === K_STREAM) {
      if (!this.readStream()) return FAST_FALLBACK
      if (this.pos + ENV_DATA.length <= end && equalBytes(buf, this.pos, ENV_DATA)) {
        this.pos += ENV_DATA.length
      } else {
        if (this.byteAt(this.pos) !== COMMA || this.byteAt(this.pos + 1) !== QUOTE) return FAST_FALLBACK
        this.pos += 2
        if (this.readKey() !== K_DATA) return FAST_FALLBACK
        if (this.byteAt(this.pos) !== LBRACE || this.byteAt(this.pos + 1) !== QUOTE) return FAST_FALLBACK
        this.pos += 2
      }
      this.nested = true
      this.setInstrument(this.streamSym)
      if (this.payload(out, this.readKey()) !== FAST_OK) return FAST_FALLBACK
      if (this.byteAt(this.pos) !== RBRACE) return FAST_FALLBACK
      this.pos++
    } else {
      this.setInstrument(sid)
      if (this.payload(out, key) !== FAST_OK) return FAST_FALLBACK
    }
    return this.pos === end ? FAST_OK : FAST_FALLBACK
  }

  /** Decodes a REST depth snapshot body for instrument `id` (registered). */
  snapshot(buf: Uint8Array, start: number, end: number, id: number, out: ProviderRaw): number {
    this.buf = buf
    this.end = end
    this.pos = start
    this.streamSym = 0
    this.partial = false
    this.nested = true
    this.setInstrument(id)
    out.venueId = this.venueId
    out.timeUnitUs = this.timeUnitUs
    if (this.fields(out, M_SNAPSHOT, 0, LBRACE) !== FAST_OK) return FAST_FALLBACK
    if (this.pos !== end) return FAST_FALLBACK
    out.instrumentId = id
    out.type = RawType.DepthSnapshot
    return FAST_OK
  }

  private setInstrument(id: number): void {
    this.inst = id
    if (id !== 0) {
      this.pxScale = this.registry.priceScales[id]!
      this.qtyScale = this.registry.qtyScales[id]!
    }
  }

  private byteAt(p: number): number {
    return p < this.end ? this.buf[p]! : -1
  }

  /** An event object whose first key (code `key`) has just been read; pos is at its value. */
  private payload(out: ProviderRaw, key: number): number {
    let kind: number
    let seen = 0
    if (key === CH_e) {
      kind = this.readEventType()
      if (kind < 0) return FAST_FALLBACK
      if (kind === M_TRADE) {
        // Binance's own key order first (straight-line literal matches); on any
        // difference the key-by-key loop below reads the fields from the start.
        const at = this.pos
        seen = this.tradeInOrder(out)
        if (seen === 0) this.pos = at
      }
    } else if (key === 117 /* u */) {
      // Spot bookTicker: {"u","s","b","B","a","A"} (no e)
      if (!this.readInt()) return FAST_FALLBACK
      out.updateId = this.num[0]!
      kind = M_TICKER
      seen = F_u
    } else if (key === K_LAST_UPDATE_ID) {
      // Spot partial depth: {"lastUpdateId","bids","asks"}
      if (!this.readInt()) return FAST_FALLBACK
      out.updateId = this.num[0]!
      kind = M_PARTIAL_SPOT
      seen = F_LUI
    } else {
      return FAST_FALLBACK
    }
    if (this.fields(out, kind, seen, COMMA) !== FAST_OK) return FAST_FALLBACK
    if (kind === M_SHUTDOWN) {
      out.type = RawType.ServerShutdown
      return FAST_OK
    }
    if (this.inst === 0) return FAST_FALLBACK
    out.instrumentId = this.inst
    switch (kind) {
      case M_TRADE:
        out.type = RawType.Trade
        break
      case M_AGG:
        out.type = RawType.AggTrade
        break
      case M_TICKER:
        out.type = RawType.BookTicker
        break
      case M_DEPTH:
        out.type = this.partial ? RawType.PartialDepth : RawType.DepthUpdate
        break
      case M_PARTIAL_SPOT:
        out.type = RawType.PartialDepth
        break
      case M_KLINE:
        out.type = RawType.Kline
        break
    }
    return FAST_OK
  }

  /**
   * A trade's fields in the order Binance sends them, after `"e":"trade"`:
   * `,"E":…,"s":"…","t":…,"p":"…","q":"…","T":…,"m":…`. Returns the field
   * bits read (TRADE_IN_ORDER), or 0 when the bytes differ from this layout
   * anywhere (the caller then rereads the object key by key: the same
   * primitives in the same order, so the result is the same).
   */
  private tradeInOrder(out: ProviderRaw): number {
    const num = this.num
    if (!this.key1(CH_E) || !this.readInt()) return 0
    out.eventTime = num[0]!
    if (!this.key1(115 /* s */) || !this.readSymbol()) return 0
    if (!this.key1(116 /* t */) || !this.readInt()) return 0
    out.tradeId = num[0]!
    if (!this.key1(112 /* p */) || this.inst === 0 || !this.readDecimal(this.pxScale, 0)) return 0
    out.priceM = num[0]!
    if (!this.key1(113 /* q */) || !this.readDecimal(this.qtyScale, 0)) return 0
    out.qtyM = num[0]!
    if (!this.key1(84 /* T */) || !this.readInt()) return 0
    out.tradeTime = num[0]!
    if (!this.key1(109 /* m */)) return 0
    const v = this.readBool()
    if (v < 0) return 0
    out.buyerIsMaker = v === 1
    return TRADE_IN_ORDER
  }

  /** `,"<ch>":` at pos (a one-byte key after a comma): consumes it and returns true. */
  private key1(ch: number): boolean {
    const b = this.buf
    const p = this.pos
    if (p + 5 > this.end || b[p] !== COMMA || b[p + 1] !== QUOTE || b[p + 2] !== ch || b[p + 3] !== QUOTE || b[p + 4] !== COLON) return false
    this.pos = p + 5
    return true
  }

  /**
   * The remaining keys of an object of `kind`, each preceded by `sep` on the
   * first iteration (',' after a first key, '{' for a whole object) and by
   * ',' afterwards; ends after the closing '}'.
   */
  private fields(out: ProviderRaw, kind: number, seen0: number, sep: number): number {
    const readMask = READ_MASK[kind]!
    const num = this.num
    let seen = seen0
    let first = true
    for (;;) {
      const c = this.byteAt(this.pos)
      if (c === RBRACE) {
        this.pos++
        break
      }
      if (c !== (first ? sep : COMMA) || this.byteAt(this.pos + 1) !== QUOTE) return FAST_FALLBACK
      first = false
      this.pos += 2
      const key = this.readKey()
      // K_FAIL, or a second "e" / an "e" after a shape-detected first key: let the reference decide
      if (key === K_FAIL || key === CH_e) return FAST_FALLBACK
      if (!this.nested && (key === K_STREAM || key === K_ERROR || key === K_RESULT)) return FAST_FALLBACK
      const bit = KEY_BITS[key]!
      if (bit === F_LUI && kind === M_TICKER && seen0 !== 0) {
        // a Spot bookTicker (no e) with lastUpdateId: the reference classifies it as partial depth
        return FAST_FALLBACK
      }
      if ((bit & readMask) === 0) {
        if (!this.skipValue()) return FAST_FALLBACK
        continue
      }
      if ((seen & bit) !== 0) return FAST_FALLBACK // duplicated key: JSON.parse keeps the last one
      seen |= bit
      switch (bit) {
        case F_E:
          if (!this.readInt()) return FAST_FALLBACK
          out.eventTime = num[0]!
          break
        case F_T:
          if (!this.readInt()) return FAST_FALLBACK
          out.tradeTime = num[0]!
          break
        case F_s:
          if (!this.readSymbol()) return FAST_FALLBACK
          break
        case F_t:
          if (!this.readInt()) return FAST_FALLBACK
          out.tradeId = num[0]!
          break
        case F_p:
          if (this.inst === 0 || !this.readDecimal(this.pxScale, 0)) return FAST_FALLBACK
          out.priceM = num[0]!
          break
        case F_q:
          if (this.inst === 0 || !this.readDecimal(this.qtyScale, 0)) return FAST_FALLBACK
          out.qtyM = num[0]!
          break
        case F_m: {
          const v = this.readBool()
          if (v < 0) return FAST_FALLBACK
          out.buyerIsMaker = v === 1
          break
        }
        case F_a:
          if (kind === M_AGG) {
            if (!this.readInt()) return FAST_FALLBACK
            out.tradeId = num[0]!
          } else if (kind === M_TICKER) {
            if (this.inst === 0 || !this.readDecimal(this.pxScale, 0)) return FAST_FALLBACK
            out.askPxM = num[0]!
          } else if (!this.readLevels(out, false)) {
            return FAST_FALLBACK
          }
          break
        case F_f:
          if (!this.readInt()) return FAST_FALLBACK
          out.firstTradeId = num[0]!
          break
        case F_l:
          if (!this.readInt()) return FAST_FALLBACK
          out.lastTradeId = num[0]!
          break
        case F_u:
          if (!this.readInt()) return FAST_FALLBACK
          out.updateId = num[0]!
          break
        case F_U:
          if (!this.readInt()) return FAST_FALLBACK
          out.firstUpdateId = num[0]!
          break
        case F_b:
          if (kind === M_TICKER) {
            if (this.inst === 0 || !this.readDecimal(this.pxScale, 0)) return FAST_FALLBACK
            out.bidPxM = num[0]!
          } else if (!this.readLevels(out, true)) {
            return FAST_FALLBACK
          }
          break
        case F_B:
          if (this.inst === 0 || !this.readDecimal(this.qtyScale, 0)) return FAST_FALLBACK
          out.bidQtyM = num[0]!
          break
        case F_A:
          if (this.inst === 0 || !this.readDecimal(this.qtyScale, 0)) return FAST_FALLBACK
          out.askQtyM = num[0]!
          break
        case F_pu:
          if (!this.readInt()) return FAST_FALLBACK
          out.prevUpdateId = num[0]!
          break
        case F_k:
          if (!this.readKline(out)) return FAST_FALLBACK
          break
        case F_LUI:
          if (!this.readInt()) return FAST_FALLBACK
          out.updateId = num[0]!
          break
        case F_BIDS:
          if (!this.readLevels(out, true)) return FAST_FALLBACK
          break
        case F_ASKS:
          if (!this.readLevels(out, false)) return FAST_FALLBACK
          break
      }
    }
    const req = this.required[kind]!
    return (seen & req) === req ? FAST_OK : FAST_FALLBACK
  }

  /** The kline body object `k`. */
  private readKline(out: ProviderRaw): boolean {
    if (this.byteAt(this.pos) !== LBRACE) return false
    const num = this.num
    let seen = 0
    let first = true
    for (;;) {
      const c = this.byteAt(this.pos)
      if (c === RBRACE && !first) {
        this.pos++
        break
      }
      if (c !== (first ? LBRACE : COMMA) || this.byteAt(this.pos + 1) !== QUOTE) return false
      first = false
      this.pos += 2
      const key = this.readKey()
      let bit: number
      switch (key) {
        case K_FAIL:
          return false
        case 116 /* t */:
          bit = KF_t
          break
        case 84 /* T */:
          bit = KF_T
          break
        case 115 /* s */:
          bit = KF_s
          break
        case 105 /* i */:
          bit = KF_i
          break
        case 102 /* f */:
          bit = KF_f
          break
        case 76 /* L */:
          bit = KF_L
          break
        case 111 /* o */:
          bit = KF_o
          break
        case 99 /* c */:
          bit = KF_c
          break
        case 104 /* h */:
          bit = KF_h
          break
        case 108 /* l */:
          bit = KF_l
          break
        case 118 /* v */:
          bit = KF_v
          break
        case 110 /* n */:
          bit = KF_n
          break
        case 120 /* x */:
          bit = KF_x
          break
        case 113 /* q */:
          bit = KF_q
          break
        default:
          if (!this.skipValue()) return false
          continue
      }
      if ((seen & bit) !== 0) return false
      seen |= bit
      switch (bit) {
        case KF_t:
          if (!this.readInt()) return false
          out.klineStart = num[0]!
          break
        case KF_T:
          if (!this.readInt()) return false
          out.klineClose = num[0]!
          break
        case KF_s:
          if (!this.readSymbol()) return false
          break
        case KF_i: {
          const secs = this.readInterval()
          if (secs <= 0) return false
          out.klineIntervalSec = secs
          break
        }
        case KF_f:
          if (!this.readInt()) return false
          out.firstTradeId = num[0]!
          break
        case KF_L:
          if (!this.readInt()) return false
          out.lastTradeId = num[0]!
          break
        case KF_o:
          if (this.inst === 0 || !this.readDecimal(this.pxScale, 0)) return false
          out.openM = num[0]!
          break
        case KF_c:
          if (this.inst === 0 || !this.readDecimal(this.pxScale, 0)) return false
          out.closeM = num[0]!
          break
        case KF_h:
          if (this.inst === 0 || !this.readDecimal(this.pxScale, 0)) return false
          out.highM = num[0]!
          break
        case KF_l:
          if (this.inst === 0 || !this.readDecimal(this.pxScale, 0)) return false
          out.lowM = num[0]!
          break
        case KF_v:
          if (this.inst === 0 || !this.readDecimal(this.qtyScale, 0)) return false
          out.volumeM = num[0]!
          break
        case KF_n:
          if (!this.readInt()) return false
          out.klineTrades = num[0]!
          break
        case KF_x: {
          const v = this.readBool()
          if (v < 0) return false
          out.klineClosed = v === 1
          break
        }
        case KF_q:
          if (this.inst === 0 || !this.readDecimal(this.registry.spec(this.inst).notionalScale, 0)) return false
          out.quoteVolumeM = num[0]!
          break
      }
    }
    return (seen & KLINE_REQUIRED) === KLINE_REQUIRED
  }

  /**
   * Reads a key from just after its opening quote through the ':' after it.
   * Returns its code (K_UNKNOWN for keys no kind reads), or K_FAIL for
   * escapes, control bytes, non-ASCII or a missing ':'.
   */
  private readKey(): number {
    const b = this.buf
    const end = this.end
    const s = this.pos
    // the common case: a one-byte key
    if (s + 2 < end && b[s + 1] === QUOTE && b[s + 2] === COLON) {
      const c = b[s]!
      if (c >= 0x20 && c < 0x80 && c !== BACKSLASH && c !== QUOTE) {
        this.pos = s + 3
        return c
      }
    }
    let p = s
    for (;;) {
      if (p >= end) return K_FAIL
      const c = b[p]!
      if (c === QUOTE) break
      if (c === BACKSLASH || c < 0x20 || c >= 0x80) return K_FAIL
      p++
    }
    if (p + 1 >= end || b[p + 1] !== COLON) return K_FAIL
    this.pos = p + 2
    const len = p - s
    if (len === 1) return b[s]!
    if (len === 2) return b[s] === 112 && b[s + 1] === 117 ? K_PU : K_UNKNOWN
    if (len === 4) {
      if (equalBytes(b, s, KEY_BIDS)) return K_BIDS
      if (equalBytes(b, s, KEY_ASKS)) return K_ASKS
      if (equalBytes(b, s, KEY_DATA)) return K_DATA
      return K_UNKNOWN
    }
    if (len === 5) return equalBytes(b, s, KEY_ERROR) ? K_ERROR : K_UNKNOWN
    if (len === 6) {
      if (equalBytes(b, s, KEY_STREAM)) return K_STREAM
      if (equalBytes(b, s, KEY_RESULT)) return K_RESULT
      return K_UNKNOWN
    }
    if (len === 12) return equalBytes(b, s, KEY_LUI) ? K_LAST_UPDATE_ID : K_UNKNOWN
    return K_UNKNOWN
  }

  /** The envelope's stream name: the symbol before '@' (looked up, 0 when unknown) and whether it is a `depth<N>` stream. */
  private readStream(): boolean {
    const b = this.buf
    const end = this.end
    let p = this.pos
    if (p >= end || b[p] !== QUOTE) return false
    p++
    const s = p
    const n = this.streamCacheLen
    if (this.streamCacheVersion === this.table.version && cachedMatch(b, p, end, this.streamCache, n)) {
      this.streamSym = this.streamCacheSym
      this.partial = this.streamCachePartial
      this.pos = p + n + 1
      return true
    }
    let at = -1
    let h = FNV_OFFSET
    for (;;) {
      if (p >= end) return false
      const c = b[p]!
      if (c === QUOTE) break
      if (c === BACKSLASH || c < 0x20 || c >= 0x80) return false
      if (at < 0) {
        if (c === AT) at = p
        else h = fnvStep(h, c)
      }
      p++
    }
    this.streamSym = this.table.lookup(b, s, at < 0 ? p : at, h)
    if (at >= 0) {
      const d = at + 1
      this.partial = d + DEPTH.length < p && equalBytes(b, d, DEPTH) && isDigit(b[d + DEPTH.length]!)
    }
    this.pos = p + 1
    if (p - s <= CACHE_BYTES) {
      for (let k = s; k < p; k++) this.streamCache[k - s] = b[k]!
      this.streamCacheLen = p - s
      this.streamCacheSym = this.streamSym
      this.streamCachePartial = this.partial
      this.streamCacheVersion = this.table.version
    }
    return true
  }

  /** The `e` value: a fast-path message kind, or -1. */
  private readEventType(): number {
    const b = this.buf
    const end = this.end
    let p = this.pos
    if (p + Q_TRADE.length <= end && equalBytes(b, p, Q_TRADE)) {
      this.pos = p + Q_TRADE.length
      return M_TRADE
    }
    if (p >= end || b[p] !== QUOTE) return -1
    // a plain string (skipAt's rules): s..p are its bytes, p its closing quote
    const after = skipAt(b, p, end)
    if (after < 0) return -1
    const s = p + 1
    p = after - 1
    this.pos = after
    switch (p - s) {
      case 5:
        if (equalBytes(b, s, EV_TRADE)) return M_TRADE
        if (equalBytes(b, s, EV_KLINE)) return M_KLINE
        return -1
      case 8:
        return equalBytes(b, s, EV_AGG) ? M_AGG : -1
      case 10:
        return equalBytes(b, s, EV_TICKER) ? M_TICKER : -1
      case 11:
        return equalBytes(b, s, EV_DEPTH) ? M_DEPTH : -1
      case 14:
        return equalBytes(b, s, EV_SHUTDOWN) ? M_SHUTDOWN : -1
      default:
        return -1
    }
  }

  /**
   * A symbol string, resolved through the table. Non-ASCII bytes are allowed
   * only as part of a registered symbol (whose bytes are valid UTF-8). The
   * instrument must agree with one resolved earlier in the frame.
   */
  private readSymbol(): boolean {
    const b = this.buf
    const end = this.end
    let p = this.pos
    if (p >= end || b[p] !== QUOTE) return false
    p++
    const s = p
    let id: number
    const n = this.symCacheLen
    if (this.symCacheVersion === this.table.version && cachedMatch(b, p, end, this.symCache, n)) {
      id = this.symCacheId
      p += n
    } else {
      let h = FNV_OFFSET
      for (;;) {
        if (p >= end) return false
        const c = b[p]!
        if (c === QUOTE) break
        if (c === BACKSLASH || c < 0x20) return false
        h = fnvStep(h, c)
        p++
      }
      id = this.table.lookup(b, s, p, h)
      if (id === 0) return false
      if (p - s <= CACHE_BYTES) {
        for (let k = s; k < p; k++) this.symCache[k - s] = b[k]!
        this.symCacheLen = p - s
        this.symCacheId = id
        this.symCacheVersion = this.table.version
      }
    }
    if (this.inst !== id) {
      if (this.inst !== 0) return false
      this.setInstrument(id)
    }
    this.pos = p + 1
    return true
  }

  /** A kline interval string; its seconds, or 0. */
  private readInterval(): number {
    const b = this.buf
    const end = this.end
    const p = this.pos
    if (p >= end || b[p] !== QUOTE) return 0
    let q = p + 1
    while (q < end && b[q] !== QUOTE && q - p <= 3) q++
    if (q >= end || b[q] !== QUOTE) return 0
    const key = packInterval(b, p + 1, q - p - 1)
    for (let i = 0; i < INTERVAL_KEYS.length; i++) {
      if (INTERVAL_KEYS[i] === key) {
        this.pos = q + 1
        return INTERVAL_SECS[i]!
      }
    }
    return 0
  }

  /** A JSON non-negative integer of at most 15 digits into num[0] (intAt). */
  private readInt(): boolean {
    const q = intAt(this.buf, this.pos, this.end)
    if (q < 0) return false
    this.num[0] = VAL[0]!
    this.pos = q
    return true
  }

  /** A decimal string at `scale` into num[slot] (decimalAt). */
  private readDecimal(scale: number, slot: number): boolean {
    const q = decimalAt(this.buf, this.pos, this.end, scale)
    if (q < 0) return false
    this.num[slot] = VAL[0]!
    this.pos = q
    return true
  }

  /** true -> 1, false -> 0, else -1. */
  private readBool(): number {
    const q = boolAt(this.buf, this.pos, this.end)
    if (q < 0) return -1
    this.pos = q
    return VAL[0]!
  }

  /** `[["px","qty"],...]` into the bid or ask levels, in wire order. */
  private readLevels(out: ProviderRaw, bids: boolean): boolean {
    if (this.inst === 0 || this.byteAt(this.pos) !== LBRACK) return false
    this.pos++
    if (this.byteAt(this.pos) === RBRACK) {
      this.pos++
      return true
    }
    const num = this.num
    const pxScale = this.pxScale
    const qtyScale = this.qtyScale
    for (;;) {
      if (this.byteAt(this.pos) !== LBRACK) return false
      this.pos++
      if (!this.readDecimal(pxScale, 0)) return false
      if (this.byteAt(this.pos) !== COMMA) return false
      this.pos++
      if (!this.readDecimal(qtyScale, 1)) return false
      if (this.byteAt(this.pos) !== RBRACK) return false
      this.pos++
      if (bids) {
        const i = out.bidCount
        if (i < out.bidPxs.length) {
          out.bidPxs[i] = num[0]!
          out.bidQtys[i] = num[1]!
          out.bidCount = i + 1
        } else {
          out.pushBid(num[0]!, num[1]!)
        }
      } else {
        const i = out.askCount
        if (i < out.askPxs.length) {
          out.askPxs[i] = num[0]!
          out.askQtys[i] = num[1]!
          out.askCount = i + 1
        } else {
          out.pushAsk(num[0]!, num[1]!)
        }
      }
      const c = this.byteAt(this.pos)
      this.pos++
      if (c === RBRACK) return true
      if (c !== COMMA) return false
    }
  }

  /** Skips a value of a key the message kind does not use (skipAt). */
  private skipValue(): boolean {
    const q = skipAt(this.buf, this.pos, this.end)
    if (q < 0) return false
    this.pos = q
    return true
  }
}

/** `,"<c>":` as the little-endian word of its first four bytes (the fifth is ':'). */
function key1Word(c: number): number {
  return COMMA | (QUOTE << 8) | (c << 16) | (QUOTE << 24)
}
const KEY1_p = key1Word(112)
const KEY1_q = key1Word(113)
const KEY1_T = key1Word(84)
const KEY1_m = key1Word(109)

/** True when `,"<c>":` (word = key1Word(c)) is at b[p]. */
function key1At(dv: DataView, base: number, b: Uint8Array, p: number, end: number, word: number): boolean {
  return p + 5 <= end && dv.getInt32(base + p, true) === word && b[p + 4] === COLON
}

/** A frame that left its layout part way: `out` back to its reset state (receive time kept) for the key-by-key path. */
function failed(out: ProviderRaw): boolean {
  resetKeepingRecvTime(out)
  return false
}

/** `out` back to its reset state with its receive time kept (a decode that gave up part way). */
export function resetKeepingRecvTime(out: ProviderRaw): void {
  const recv = out.recvTsUs
  out.reset()
  out.recvTsUs = recv
}

/** True when literal `i` of `lay` is at b[p] (before `end`): whole words through the DataView (see Layout). */
function literalAt(dv: DataView, base: number, b: Uint8Array, p: number, end: number, lay: Layout, i: number): boolean {
  const lits = lay.lits
  const len = lits[3 * i]!
  if (p + len > end) return false
  const words = lay.words
  const w0 = lits[3 * i + 1]!
  const nw = lits[3 * i + 2]!
  const at = base + p
  if (nw === 0) {
    // shorter than a word: its bytes packed
    let v = 0
    for (let k = len - 1; k >= 0; k--) v = (v << 8) | b[p + k]!
    return v === words[w0]
  }
  const last = nw - 1
  for (let k = 0; k < last; k++) if (dv.getInt32(at + 4 * k, true) !== words[w0 + k]) return false
  return dv.getInt32(at + len - 4, true) === words[w0 + last]
}

function equalBytes(b: Uint8Array, s: number, key: Uint8Array): boolean {
  for (let i = 0; i < key.length; i++) if (b[s + i] !== key[i]) return false
  return true
}
