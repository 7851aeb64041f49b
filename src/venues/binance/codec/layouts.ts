/**
 * Learned layouts: the fast path's shortcut for combined-stream frames whose
 * bytes, apart from their values, repeat from one frame of a stream to the
 * next.
 *
 * Binance writes every message of a stream with the same keys in the same
 * order, the same symbol and the same event type; only the values change:
 *
 *   {"stream":"btcusdt@trade","data":{"e":"trade","E":  1723161255343  ,"s":"BTCUSDT","t":  3735683259  ,"p":  "61837.63000000"  …
 *   └──────────────── literal 0 ─────────────────────┘  value 0 (int)   └──── literal 1 ────┘ value 1 (int) └ lit 2 ┘ value 2 (decimal)
 *
 * After the key-by-key fast path has decoded a frame of a stream (status
 * Ok), `learnLayout` cuts that frame into literals and values: each value
 * the message kind reads becomes an op (which primitive parses it, which
 * field it fills), each value the kind ignores becomes a SKIP op (validated
 * like the key-by-key path validates it), and everything else (braces,
 * keys, the stream name, the event type, the symbol) is literal. The next
 * frame of the stream is then decoded by comparing the literals four bytes
 * at a time and running only the ops: no key dispatch, no stream-name or
 * symbol lookup, no per-key branching.
 *
 * Why this yields exactly what the key-by-key path yields: a frame that
 * matches a layout has, byte for byte, the same keys in the same order, the
 * same stream name, event type and symbol as the frame the layout was learned
 * from (which that path decoded), and each value is parsed by the same
 * primitive with the same checks. Any difference (a new key, another order,
 * a value a primitive refuses, a length that does not add up) makes the
 * frame take the key-by-key path from its start, which decides as before.
 * Layouts are dropped whenever the symbol table changes (a stream name's
 * instrument could change). The differential and fuzz tests decode every
 * fixture frame through both and compare with the JSON.parse reference.
 *
 * Klines (a nested object) are not learned; they take the key-by-key path.
 */
import { RawType } from '../../../model/provider-raw.js'

/** Value ops: which primitive parses the value and which ProviderRaw field it fills. */
export const Op = {
  Skip: 0,
  EventTime: 1,
  TradeTime: 2,
  TradeId: 3,
  FirstTradeId: 4,
  LastTradeId: 5,
  UpdateId: 6,
  FirstUpdateId: 7,
  PrevUpdateId: 8,
  Price: 9,
  Qty: 10,
  BidPx: 11,
  BidQty: 12,
  AskPx: 13,
  AskQty: 14,
  BuyerIsMaker: 15,
  Bids: 16,
  Asks: 17,
} as const

/** Op sequences with a straight-line decoder in the fast path (the rest run op by op). */
export const Shape = { Generic: 0, SpotTrade: 1 } as const
const SPOT_TRADE_OPS = [Op.EventTime, Op.TradeId, Op.Price, Op.Qty, Op.TradeTime, Op.BuyerIsMaker]
/** the literals between the SpotTrade values, after `t` (the fast path checks them inline) */
const SPOT_TRADE_KEYS = [',"p":', ',"q":', ',"T":', ',"m":']

function literalIs(l: Uint8Array | undefined, s: string): boolean {
  return l !== undefined && l.length === s.length && Buffer.from(l).toString('latin1') === s
}

/** Hash buckets × entries per bucket: at most 256 layouts per decoder. */
const BUCKETS = 64
const WAYS = 4
/** Bytes the hash reads (the stream name's first 12 bytes, after `{"stream":"`). */
export const LAYOUT_HASH_END = 23
/** Layouts learned per symbol-table version at most (a stream whose layouts never repeat stops being learned). */
const MAX_LEARNS = 4096

const QUOTE = 34
const COMMA = 44
const COLON = 58
const LBRACE = 123
const RBRACE = 125
const LBRACK = 91
const RBRACK = 93
const BACKSLASH = 92
const ENV_HEAD = '{"stream":"'
const ENV_DATA = ',"data":{'

/**
 * One learned layout: literals around `ops.length` values.
 *
 * Literal i is `lits[3i]` bytes long; its comparison words start at
 * words[lits[3i + 1]], `lits[3i + 2]` of them: little-endian words at
 * offsets 0, 4, 8, … and, when the length is not a multiple of four, one
 * more word ending exactly at the literal's end (overlapping the one before),
 * so there is no byte-by-byte tail. A literal shorter than four bytes keeps
 * its bytes in `short[i]` (packed, first byte lowest).
 */
export class Layout {
  readonly lits: Int32Array
  readonly words: Int32Array
  /** value i lies between literal i and literal i + 1 */
  readonly ops: Int32Array
  readonly type: number
  readonly instrumentId: number
  readonly hash: number
  /** literal 0 (to recognise the stream's layout when it is replaced) */
  readonly head: Uint8Array
  /** a Shape: which straight-line decoder covers the first ops */
  readonly shape: number

  constructor(literals: Uint8Array[], ops: number[], type: number, instrumentId: number, hash: number) {
    const words: number[] = []
    this.lits = new Int32Array(literals.length * 3)
    for (let i = 0; i < literals.length; i++) {
      const l = literals[i]!
      const n = l.length
      this.lits[3 * i] = n
      this.lits[3 * i + 1] = words.length
      if (n < 4) {
        let v = 0
        for (let k = n - 1; k >= 0; k--) v = (v << 8) | l[k]!
        words.push(v)
        this.lits[3 * i + 2] = 0
        continue
      }
      const at = (k: number): number => l[k]! | (l[k + 1]! << 8) | (l[k + 2]! << 16) | (l[k + 3]! << 24)
      for (let k = 0; k + 4 <= n; k += 4) words.push(at(k))
      if ((n & 3) !== 0) words.push(at(n - 4))
      this.lits[3 * i + 2] = words.length - this.lits[3 * i + 1]!
    }
    this.words = Int32Array.from(words)
    this.ops = Int32Array.from(ops)
    this.type = type
    this.instrumentId = instrumentId
    this.hash = hash
    this.head = literals[0]!.slice()
    this.shape =
      type === RawType.Trade && SPOT_TRADE_OPS.every((op, i) => ops[i] === op) && SPOT_TRADE_KEYS.every((k, i) => literalIs(literals[i + 2], k))
        ? Shape.SpotTrade
        : Shape.Generic
  }
}

/** The hash of a frame's stream name (bytes 11..22 as three little-endian words), or -1 when the frame is shorter. */
export function layoutHash(dv: DataView, at: number, len: number): number {
  if (len < LAYOUT_HASH_END) return -1
  const h = dv.getInt32(at + 11, true) ^ Math.imul(dv.getInt32(at + 15, true), 0x9e3779b1) ^ Math.imul(dv.getInt32(at + 19, true), 0x85ebca6b)
  return (h ^ (h >>> 15)) & (BUCKETS - 1)
}

/** The learned layouts of one decoder: a hash table keyed by stream name, dropped when the symbol table changes. */
export class LayoutTable {
  private readonly slots: Array<Layout | null> = new Array<Layout | null>(BUCKETS * WAYS).fill(null)
  private readonly next = new Uint8Array(BUCKETS)
  /** the symbol-table version the layouts were learned under */
  version = -1
  size = 0
  private learnsLeft = MAX_LEARNS

  /** Drops every layout (the symbol table changed to `version`). */
  clear(version: number): void {
    this.slots.fill(null)
    this.next.fill(0)
    this.size = 0
    this.version = version
    this.learnsLeft = MAX_LEARNS
  }

  /** The candidates of a bucket: slot(bucket, 0..WAYS-1) (null where empty). */
  slot(bucket: number, way: number): Layout | null {
    return this.slots[bucket * WAYS + way]!
  }

  get ways(): number {
    return WAYS
  }

  canLearn(): boolean {
    return this.learnsLeft > 0
  }

  /** Adds a layout; it replaces one with the same first literal (the stream's older layout), else takes a free or the oldest way. */
  add(layout: Layout): void {
    this.learnsLeft--
    const base = layout.hash * WAYS
    let at = -1
    for (let w = 0; w < WAYS; w++) {
      const old = this.slots[base + w]!
      if (old === null) {
        if (at < 0) at = base + w
      } else if (sameFirstLiteral(old, layout)) {
        at = base + w
        this.size--
        break
      }
    }
    if (at < 0) {
      at = base + this.next[layout.hash]!
      this.next[layout.hash] = (this.next[layout.hash]! + 1) % WAYS
      this.size--
    }
    this.slots[at] = layout
    this.size++
  }
}

function sameFirstLiteral(a: Layout, b: Layout): boolean {
  const n = a.head.length
  if (n !== b.head.length) return false
  for (let i = 0; i < n; i++) if (a.head[i] !== b.head[i]) return false
  return true
}

/** Value ops by message type and key (keys a type does not read: Skip). Mirrors the fast path's READ_MASK and field switch. */
function opFor(type: number, key: string): number | null {
  switch (key) {
    case 'E':
      return Op.EventTime
    case 'T':
      return Op.TradeTime
  }
  switch (type) {
    case RawType.Trade:
      return key === 't' ? Op.TradeId : key === 'p' ? Op.Price : key === 'q' ? Op.Qty : key === 'm' ? Op.BuyerIsMaker : Op.Skip
    case RawType.AggTrade:
      return key === 'a'
        ? Op.TradeId
        : key === 'p'
          ? Op.Price
          : key === 'q'
            ? Op.Qty
            : key === 'f'
              ? Op.FirstTradeId
              : key === 'l'
                ? Op.LastTradeId
                : key === 'm'
                  ? Op.BuyerIsMaker
                  : Op.Skip
    case RawType.BookTicker:
      return key === 'u' ? Op.UpdateId : key === 'b' ? Op.BidPx : key === 'B' ? Op.BidQty : key === 'a' ? Op.AskPx : key === 'A' ? Op.AskQty : Op.Skip
    case RawType.DepthUpdate:
    case RawType.PartialDepth:
      switch (key) {
        case 'U':
          return Op.FirstUpdateId
        case 'u':
        case 'lastUpdateId':
          return Op.UpdateId
        case 'pu':
          return Op.PrevUpdateId
        case 'b':
        case 'bids':
          return Op.Bids
        case 'a':
        case 'asks':
          return Op.Asks
        default:
          return Op.Skip
      }
    default:
      return null
  }
}

/** End of the JSON value at b[p] (a string without escapes, number, literal, or nested arrays of those), or -1. */
function valueEnd(b: Uint8Array, p: number, end: number): number {
  if (p >= end) return -1
  const c = b[p]!
  if (c === QUOTE) {
    for (let q = p + 1; q < end; q++) {
      if (b[q] === BACKSLASH) return -1
      if (b[q] === QUOTE) return q + 1
    }
    return -1
  }
  if (c === LBRACK) {
    let depth = 0
    let inString = false
    for (let q = p; q < end; q++) {
      const d = b[q]!
      if (inString) {
        if (d === BACKSLASH) return -1
        if (d === QUOTE) inString = false
      } else if (d === QUOTE) inString = true
      else if (d === LBRACK) depth++
      else if (d === RBRACK && --depth === 0) return q + 1
      else if (d === LBRACE) return -1
    }
    return -1
  }
  if (c === LBRACE) return -1
  let q = p
  while (q < end && b[q] !== COMMA && b[q] !== RBRACE && b[q] !== RBRACK) q++
  return q > p ? q : -1
}

function matches(b: Uint8Array, p: number, s: string): boolean {
  if (p + s.length > b.length) return false
  for (let i = 0; i < s.length; i++) if (b[p + i] !== s.charCodeAt(i)) return false
  return true
}

/**
 * Cuts a combined-stream frame that the key-by-key path decoded (as `type`,
 * for instrument `instrumentId`) into a layout, or null when the frame is not
 * one a layout covers (not an envelope, a kline, a nested object, an escape).
 * Cold path: runs once per stream.
 */
export function learnLayout(buf: Uint8Array, start: number, end: number, type: number, instrumentId: number, hash: number): Layout | null {
  if (hash < 0 || instrumentId === 0) return null
  if (type !== RawType.Trade && type !== RawType.AggTrade && type !== RawType.BookTicker && type !== RawType.DepthUpdate && type !== RawType.PartialDepth) return null
  const b = buf.subarray(start, end)
  const n = b.length
  if (!matches(b, 0, ENV_HEAD)) return null
  let p = ENV_HEAD.length
  while (p < n && b[p] !== QUOTE) {
    if (b[p] === BACKSLASH) return null
    p++
  }
  p++
  if (!matches(b, p, ENV_DATA)) return null
  p += ENV_DATA.length
  const literals: Uint8Array[] = []
  const ops: number[] = []
  let litStart = 0
  for (;;) {
    // at a key's opening quote
    if (b[p] !== QUOTE) return null
    let q = p + 1
    while (q < n && b[q] !== QUOTE) {
      if (b[q] === BACKSLASH) return null
      q++
    }
    const key = Buffer.from(b.buffer, b.byteOffset + p + 1, q - p - 1).toString('latin1')
    if (b[q + 1] !== COLON) return null
    const vStart = q + 2
    const vEnd = valueEnd(b, vStart, n)
    if (vEnd < 0) return null
    const op = key === 'e' || key === 's' ? -1 : opFor(type, key)
    if (op === null) return null
    if (op >= 0) {
      literals.push(b.slice(litStart, vStart))
      ops.push(op)
      litStart = vEnd
    }
    p = vEnd
    if (b[p] === COMMA) {
      p++
      continue
    }
    if (b[p] === RBRACE && p + 2 === n && b[p + 1] === RBRACE) break
    return null
  }
  literals.push(b.slice(litStart, n))
  if (literals[0]!.length < LAYOUT_HASH_END) return null
  return new Layout(literals, ops, type, instrumentId, hash)
}
