/**
 * Shared definitions of the Binance codec: decode statuses, the market kind,
 * kline intervals, and the decoder state that both the fast path
 * (codec/fast.ts) and the JSON.parse reference mapping (codec/fallback.ts)
 * read. Kept apart from decoder.ts so that fallback.ts and fast.ts do not
 * import the decoder (no import cycles).
 */
import { ErrorCode } from '../../../core/errors.js'
import type { InstrumentRegistry } from '../../../model/instrument.js'

/** Result of a decode call (hot path: a small int, never an exception). */
export const DecodeStatus = { Ok: 0, Malformed: 1, UnknownSymbol: 2, BadNumber: 3, Unsupported: 4, Oversize: 5, InvalidUtf8: 6 } as const
export type DecodeStatusValue = (typeof DecodeStatus)[keyof typeof DecodeStatus]
export const DECODE_STATUS_COUNT = 7

/** The ErrorCode recorded in `lastError` for each non-Ok status (index = status). */
export const DECODE_STATUS_CODES: readonly string[] = [
  '',
  ErrorCode.DECODE_MALFORMED,
  ErrorCode.DECODE_UNKNOWN_SYMBOL,
  ErrorCode.DECODE_BAD_NUMBER,
  ErrorCode.DECODE_UNSUPPORTED,
  ErrorCode.DECODE_OVERSIZE,
  ErrorCode.DECODE_INVALID_UTF8,
]

export type BinanceMarket = 'spot' | 'usdm'

/** Kline intervals Binance streams (`k.i`), and their nominal length in seconds ("1M" = 30 days). */
export const KLINE_INTERVALS: ReadonlyArray<readonly [string, number]> = [
  ['1s', 1],
  ['1m', 60],
  ['3m', 180],
  ['5m', 300],
  ['15m', 900],
  ['30m', 1800],
  ['1h', 3600],
  ['2h', 7200],
  ['4h', 14400],
  ['6h', 21600],
  ['8h', 28800],
  ['12h', 43200],
  ['1d', 86400],
  ['3d', 259200],
  ['1w', 604800],
  ['1M', 2592000],
]

/** What the two decoding paths read from the decoder (one instance per decoder). */
export interface CodecContext {
  readonly market: BinanceMarket
  readonly venueId: number
  readonly timeUnitUs: number
  readonly maxFrameBytes: number
  readonly registry: InstrumentRegistry
  /** venue symbol (as sent, and its lowercase stream-name form) -> instrument id */
  readonly symbolIds: ReadonlyMap<string, number>
  /** the `result` value of the last Reply (null for SUBSCRIBE/UNSUBSCRIBE successes) */
  lastReplyResult: unknown
}
