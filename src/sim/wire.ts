/**
 * Wire helpers shared by the simulator's REST and WebSocket handlers:
 * Binance's error shape, decimal formatting (Spot pads to 8 decimals) and
 * parameter parsing that never goes through a float.
 *
 * Every amount inside the simulator is a mantissa at scale 8 (`SCALE`), the
 * precision of every Spot asset and of Spot's wire format, held in a JS
 * number (exact up to 2^53 / 1e8 ≈ 90 million units). Products (notional,
 * commission) go through `mulDecimals` (BigInt) and come back at scale 8.
 */
import { DecimalStatus, formatDecimal, lastDecimalStatus, parseDecimalBytes } from '../core/fixed-point.js'

/** Scale of every price, quantity and balance inside the simulator. */
export const SCALE = 8
/** 1.0 at SCALE. */
export const ONE = 100_000_000

/** Formats a scale-8 mantissa as Binance Spot does ("0.10000000"). */
export function fmt(m: number): string {
  return formatDecimal(m, SCALE)
}

/** A Binance error: HTTP status, code and message. The body is `{"code","msg"}`. */
export class BinanceError extends Error {
  readonly status: number
  readonly code: number
  readonly retryAfterSec: number
  constructor(status: number, code: number, msg: string, retryAfterSec = 0) {
    super(msg)
    this.name = 'BinanceError'
    this.status = status
    this.code = code
    this.retryAfterSec = retryAfterSec
  }
  body(): string {
    return JSON.stringify({ code: this.code, msg: this.message })
  }
}

export const Err = {
  unknown: (msg = 'An unknown error occurred while processing the request.') => new BinanceError(500, -1000, msg),
  tooManyWeight: (limit: number, retryAfterSec: number) =>
    new BinanceError(429, -1003, `Too much request weight used; current limit is ${limit} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.`, retryAfterSec),
  banned: (untilMs: number, retryAfterSec: number) =>
    new BinanceError(418, -1003, `Way too much request weight used; IP banned until ${untilMs}. Please use WebSocket Streams for live updates to avoid bans.`, retryAfterSec),
  timeout: () => new BinanceError(503, -1007, 'Timeout waiting for response from backend server. Send status unknown; execution status unknown.'),
  invalidMessage: (msg: string) => new BinanceError(400, -1013, msg),
  filter: (name: string) => new BinanceError(400, -1013, `Filter failure: ${name}`),
  tooManyOrders: (limit: number, interval: string) => new BinanceError(429, -1015, `Too many new orders; current limit is ${limit} orders per ${interval}.`),
  timestampOutside: () => new BinanceError(400, -1021, 'Timestamp for this request is outside of the recvWindow.'),
  timestampAhead: () => new BinanceError(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time."),
  badSignature: () => new BinanceError(400, -1022, 'Signature for this request is not valid.'),
  illegalChars: (name: string) => new BinanceError(400, -1100, `Illegal characters found in parameter '${name}'; legal range is '^[\\w\\-._&=]{1,36}$'.`),
  duplicateParam: () => new BinanceError(400, -1101, 'Duplicate values for a parameter detected.'),
  mandatory: (name: string) => new BinanceError(400, -1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`),
  unknownParam: (name: string) => new BinanceError(400, -1104, `Not all sent parameters were read; read '${name}' parameter(s) but was sent more.`),
  notRequired: (name: string) => new BinanceError(400, -1106, `Parameter '${name}' sent when not required.`),
  badPrecision: (name: string) => new BinanceError(400, -1111, `Parameter '${name}' has too much precision.`),
  invalidTif: () => new BinanceError(400, -1115, 'Invalid timeInForce.'),
  invalidOrderType: () => new BinanceError(400, -1116, 'Invalid orderType.'),
  invalidSide: () => new BinanceError(400, -1117, 'Invalid side.'),
  badSymbol: () => new BinanceError(400, -1121, 'Invalid symbol.'),
  invalidListenKey: () => new BinanceError(400, -1125, 'This listenKey does not exist.'),
  invalidInterval: () => new BinanceError(400, -1120, 'Invalid interval.'),
  illegalParam: (name: string) => new BinanceError(400, -1130, `Invalid data sent for a parameter: ${name}.`),
  recvWindowTooBig: () => new BinanceError(400, -1131, 'recvWindow must be less than 60000'),
  invalidRespType: () => new BinanceError(400, -1100, "Illegal characters found in parameter 'newOrderRespType'; legal range is 'ACK, RESULT, FULL'."),
  orderRejected: (msg: string) => new BinanceError(400, -2010, msg),
  insufficientBalance: () => new BinanceError(400, -2010, 'Account has insufficient balance for requested action.'),
  wouldTake: () => new BinanceError(400, -2010, 'Order would immediately match and take.'),
  duplicateOrder: () => new BinanceError(400, -2010, 'Duplicate order sent.'),
  unsupportedType: () => new BinanceError(400, -2010, 'Unsupported order combination'),
  cancelRejected: () => new BinanceError(400, -2011, 'Unknown order sent.'),
  noSuchOrder: () => new BinanceError(400, -2013, 'Order does not exist.'),
  badApiKeyFormat: () => new BinanceError(401, -2014, 'API-key format invalid.'),
  rejectedKey: () => new BinanceError(401, -2015, 'Invalid API-key, IP, or permissions for action.'),
  subscriptionActive: () => new BinanceError(400, -2035, 'User Data Stream subscription already active.'),
  subscriptionInactive: () => new BinanceError(400, -2036, 'User Data Stream subscription not active.'),
  notFound: () => new BinanceError(404, -1000, 'Not Found'),
  unauthorizedLogon: () => new BinanceError(401, -1002, 'You are not authorized to execute this request.'),
}

/**
 * Parses a decimal parameter to a scale-8 mantissa. Throws the Binance error
 * for a malformed value (-1102 style -1100 illegal chars) or more than 8
 * decimals (-1111).
 */
export function parseParamDecimal(name: string, text: string): number {
  const b = Buffer.from(text, 'latin1')
  const m = parseDecimalBytes(b, 0, b.length, SCALE)
  if (Number.isNaN(m)) {
    const st = lastDecimalStatus()
    if (st === DecimalStatus.Precision) throw Err.badPrecision(name)
    if (st === DecimalStatus.Range) throw Err.illegalParam(name)
    throw Err.illegalChars(name)
  }
  if (m < 0) throw Err.illegalParam(name)
  return m
}

/** Parses a non-negative integer parameter (ids, limits, times) without a float. */
export function parseParamInt(name: string, text: string): number {
  if (!/^\d{1,16}$/.test(text)) throw Err.illegalChars(name)
  const n = Number.parseInt(text, 10)
  if (!Number.isSafeInteger(n)) throw Err.illegalParam(name)
  return n
}
