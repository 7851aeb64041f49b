/**
 * Readers for recorded venue traffic (the formats in ../shared/fixtures/):
 *
 * - cryptofeed text captures: `<name>.ws.<n>.<m>` (first line `<ws url> <-> <ts>`,
 *   then `<recv_ts seconds>: <frame>`), with `<name>.http.<n>.<m>` REST
 *   responses (`<url> -> <recv_ts>: <body>`) and `<name>.0` (exchangeInfo on
 *   line 1). Passing the `.ws.` file also loads its `.http.` siblings.
 * - hftbacktest collector captures (`*.gz`): `<recv_time_ns> <raw>` per line;
 *   a line without a `"stream"` key is a REST depth snapshot body.
 *
 * Records are views into the file's bytes (no per-record copies); every
 * timestamp is converted to epoch µs with integer arithmetic. Several files of
 * one session are read in the order given and merged with their REST files by
 * receive time (stable: equal times keep file order).
 *
 * Layer: imports core only, so that both the simulator (replaying captures as
 * a venue) and `tickflow replay` (driving the client decoders) can use it.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import { ErrorCode, TickflowError } from '../core/errors.js'

export const RecordKind = {
  /** a WebSocket text frame as received */
  WsFrame: 1,
  /** a REST order-book snapshot body */
  DepthSnapshot: 2,
  /** another REST response body (exchangeInfo, …) */
  Rest: 3,
} as const
export type RecordKindValue = (typeof RecordKind)[keyof typeof RecordKind]

export interface CaptureRecord {
  kind: RecordKindValue
  /** local receive time, epoch µs */
  recvTsUs: number
  /** the frame or body bytes (a view into the file) */
  data: Buffer
  /** REST records: the request URL ('' when the format does not say) */
  url: string
  /** 0-based index of the source file in the session, and 1-based line number in it */
  file: number
  line: number
}

export type Market = 'spot' | 'usdm' | 'unknown'

export interface CaptureSession {
  /** files read, in order (REST siblings included) */
  files: string[]
  market: Market
  /** stream names subscribed, when the capture says (cryptofeed URL) */
  streams: string[]
  /** the exchangeInfo body, when the capture has one */
  exchangeInfo: Buffer | null
  records: CaptureRecord[]
}

const NL = 10
const SPACE = 32

/** Parses "1633998512.0633569" (seconds) to epoch µs without floats. */
export function secondsToUs(text: string): number {
  const dot = text.indexOf('.')
  const whole = dot < 0 ? text : text.slice(0, dot)
  const frac = dot < 0 ? '' : text.slice(dot + 1)
  if (!/^\d+$/.test(whole) || !/^\d*$/.test(frac)) throw formatError(`not a timestamp: "${text}"`)
  return Number.parseInt(whole, 10) * 1_000_000 + Number.parseInt((frac + '000000').slice(0, 6), 10)
}

/** Parses "1723161253937085768" (ns) to epoch µs without floats (truncating). */
export function nanosToUs(text: string): number {
  if (!/^\d{4,20}$/.test(text)) throw formatError(`not a nanosecond timestamp: "${text}"`)
  return Number.parseInt(text.slice(0, text.length - 3), 10)
}

function formatError(message: string, file?: string, line?: number): TickflowError {
  return new TickflowError(ErrorCode.REPLAY_FORMAT, file === undefined ? message : `${file}:${line}: ${message}`)
}

/** Splits a buffer into line views (without the newline), skipping empty lines. */
function lines(buf: Buffer, each: (view: Buffer, lineNo: number) => void): void {
  let start = 0
  let lineNo = 0
  const n = buf.length
  while (start < n) {
    let end = buf.indexOf(NL, start)
    if (end < 0) end = n
    lineNo++
    let e = end
    if (e > start && buf[e - 1] === 13) e--
    if (e > start) each(buf.subarray(start, e), lineNo)
    start = end + 1
  }
}

export function detectFormat(file: string): 'cryptofeed-ws' | 'cryptofeed-http' | 'cryptofeed-info' | 'hftbacktest' {
  const base = path.basename(file)
  if (base.endsWith('.gz')) return 'hftbacktest'
  if (/\.ws\.\d+\.\d+$/.test(base)) return 'cryptofeed-ws'
  if (/\.http\.\d+\.\d+$/.test(base)) return 'cryptofeed-http'
  if (/\.\d+$/.test(base)) return 'cryptofeed-info'
  throw formatError(`unrecognised capture file name: ${file} (expected *.ws.N.M, *.http.N.M or *.gz)`)
}

const DEPTH_URL = /\/(api\/v3|fapi\/v1|dapi\/v1)\/depth\b/

function readCryptofeedWs(file: string, index: number, out: CaptureSession): void {
  const buf = readFileSync(file)
  lines(buf, (view, lineNo) => {
    if (lineNo === 1) {
      const header = view.toString('latin1')
      const m = /^(\S+) <-> /.exec(header)
      if (m === null) throw formatError('first line is not "<url> <-> <ts>"', file, lineNo)
      const url = m[1]!
      if (/fstream|\/fapi\//.test(url)) out.market = 'usdm'
      else if (out.market === 'unknown') out.market = 'spot'
      const q = /[?&]streams=([^&\s]+)/.exec(url)
      if (q !== null) for (const s of q[1]!.split('/')) if (!out.streams.includes(s)) out.streams.push(s)
      return
    }
    const colon = view.indexOf(': ')
    if (colon < 0) throw formatError('expected "<recv_ts>: <frame>"', file, lineNo)
    out.records.push({
      kind: RecordKind.WsFrame,
      recvTsUs: secondsToUs(view.subarray(0, colon).toString('latin1')),
      data: view.subarray(colon + 2),
      url: '',
      file: index,
      line: lineNo,
    })
  })
}

function readCryptofeedHttp(file: string, index: number, out: CaptureSession): void {
  const buf = readFileSync(file)
  lines(buf, (view, lineNo) => {
    const arrow = view.indexOf(' -> ')
    const colon = arrow < 0 ? -1 : view.indexOf(': ', arrow + 4)
    if (arrow < 0 || colon < 0) throw formatError('expected "<url> -> <recv_ts>: <body>"', file, lineNo)
    const url = view.subarray(0, arrow).toString('latin1')
    const kind = DEPTH_URL.test(url) ? RecordKind.DepthSnapshot : RecordKind.Rest
    if (/\/fapi\//.test(url)) out.market = 'usdm'
    else if (out.market === 'unknown' && /\/api\/v3\//.test(url)) out.market = 'spot'
    out.records.push({
      kind,
      recvTsUs: secondsToUs(view.subarray(arrow + 4, colon).toString('latin1')),
      data: view.subarray(colon + 2),
      url,
      file: index,
      line: lineNo,
    })
  })
}

function readCryptofeedInfo(file: string, out: CaptureSession): void {
  const buf = readFileSync(file)
  const nl = buf.indexOf(NL)
  const first = nl < 0 ? buf : buf.subarray(0, nl)
  const arrow = first.indexOf(' -> ')
  const colon = arrow < 0 ? -1 : first.indexOf(': ', arrow + 4)
  if (colon < 0) throw formatError('expected "<url> -> <ts>: <exchangeInfo>" on line 1', file, 1)
  out.exchangeInfo = first.subarray(colon + 2)
  const url = first.subarray(0, arrow).toString('latin1')
  if (/\/fapi\//.test(url)) out.market = 'usdm'
}

const STREAM_KEY = Buffer.from('"stream"')

function readHftbacktest(file: string, index: number, out: CaptureSession): void {
  const buf = gunzipSync(readFileSync(file))
  if (/[/\\]usdm[/\\]|fapi|futures/i.test(file)) out.market = 'usdm'
  else if (out.market === 'unknown') out.market = 'spot'
  lines(buf, (view, lineNo) => {
    const sp = view.indexOf(SPACE)
    if (sp < 0) throw formatError('expected "<recv_time_ns> <raw>"', file, lineNo)
    const data = view.subarray(sp + 1)
    // A REST snapshot body has no "stream" key; frames start with {"stream":
    const isFrame = data.subarray(0, 16).indexOf(STREAM_KEY) >= 0
    if (isFrame) {
      const m = /^\{"stream":"([^"]+)"/.exec(data.subarray(0, 80).toString('latin1'))
      if (m !== null && !out.streams.includes(m[1]!)) out.streams.push(m[1]!)
    }
    out.records.push({
      kind: isFrame ? RecordKind.WsFrame : RecordKind.DepthSnapshot,
      recvTsUs: nanosToUs(view.subarray(0, sp).toString('latin1')),
      data,
      url: '',
      file: index,
      line: lineNo,
    })
  })
}

/** The `.http.` and exchangeInfo siblings of a cryptofeed `.ws.` file. */
function cryptofeedSiblings(wsFile: string): { http: string[]; info: string | null } {
  const dir = path.dirname(wsFile)
  const base = path.basename(wsFile)
  const prefix = base.slice(0, base.indexOf('.ws.'))
  const http = readdirSync(dir)
    .filter((f) => f.startsWith(prefix + '.http.'))
    .sort()
    .map((f) => path.join(dir, f))
  const info = path.join(dir, prefix + '.0')
  return { http, info: existsSync(info) ? info : null }
}

/**
 * Reads one capture session from one or more files (of one session, in
 * order). cryptofeed `.ws.` files pull in their `.http.` siblings unless those
 * are given explicitly.
 */
export function readCapture(files: string[]): CaptureSession {
  if (files.length === 0) throw formatError('no capture files given')
  const out: CaptureSession = { files: [], market: 'unknown', streams: [], exchangeInfo: null, records: [] }
  const explicit = new Set(files.map((f) => path.resolve(f)))
  const queue: string[] = []
  for (const f of files) {
    if (!existsSync(f)) throw new TickflowError(ErrorCode.CONFIG_NOT_FOUND, `capture file not found: ${f}`)
    queue.push(f)
    if (detectFormat(f) === 'cryptofeed-ws') {
      const sib = cryptofeedSiblings(f)
      for (const h of sib.http) if (!explicit.has(path.resolve(h)) && !queue.includes(h)) queue.push(h)
      if (sib.info !== null && !explicit.has(path.resolve(sib.info)) && !queue.includes(sib.info)) queue.push(sib.info)
    }
  }
  for (const f of queue) {
    const index = out.files.length
    out.files.push(f)
    switch (detectFormat(f)) {
      case 'cryptofeed-ws':
        readCryptofeedWs(f, index, out)
        break
      case 'cryptofeed-http':
        readCryptofeedHttp(f, index, out)
        break
      case 'cryptofeed-info':
        readCryptofeedInfo(f, out)
        break
      case 'hftbacktest':
        readHftbacktest(f, index, out)
        break
    }
  }
  // Merge by receive time, stable (Array.prototype.sort is stable).
  out.records.sort((a, b) => a.recvTsUs - b.recvTsUs)
  return out
}

/** The recorded captures under a fixtures directory, one entry per session. */
export function listFixtureSessions(binanceFixturesDir: string): Array<{ name: string; files: string[]; market: Market }> {
  const cf = path.join(binanceFixturesDir, 'cryptofeed', 'sample_data')
  const hb = path.join(binanceFixturesDir, 'hftbacktest', 'examples')
  return [
    { name: 'cryptofeed-spot', files: [path.join(cf, 'BINANCE.ws.1.0')], market: 'spot' },
    { name: 'cryptofeed-usdm', files: [path.join(cf, 'BINANCE_FUTURES.ws.1.0')], market: 'usdm' },
    { name: 'hftbacktest-spot', files: [path.join(hb, 'spot', 'btcusdt_20240808.gz'), path.join(hb, 'spot', 'btcusdt_20240809.gz')], market: 'spot' },
    { name: 'hftbacktest-usdm', files: [path.join(hb, 'usdm', 'btcusdt_20240808.gz')], market: 'usdm' },
  ]
}
