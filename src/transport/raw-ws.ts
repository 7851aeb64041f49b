/**
 * RawWebSocket: a minimal RFC 6455 client on `net` / `tls`, for the one
 * hottest stream (market data). node-performance.md §2.2/§2.3 measured such a
 * client at 0.56-0.65x the CPU of `ws` per message; docs/transport.md has our
 * own figures.
 *
 * Why it is cheaper than `ws` on the receive path:
 * - frames are parsed straight out of the socket's chunk, and a message is
 *   handed over as (chunk, start, end): no Buffer view, no copy, no
 *   EventEmitter per message (`onMessage` is a plain callback);
 * - no Writable stream between the socket and the parser (ws pipes every
 *   chunk through its Receiver stream);
 * - UTF-8 validation (on unless `skipUtf8Validation`) is an ASCII scan in JS
 *   that calls the native `buffer.isUtf8` only when a non-ASCII byte shows up.
 *
 * What it implements (and tests: test/unit/transport/raw-ws.test.ts):
 * - the HTTP/1.1 upgrade (Sec-WebSocket-Key, Sec-WebSocket-Accept checked,
 *   Upgrade/Connection checked, no extension or subprotocol may be forced on
 *   us), a refused upgrade reports the HTTP status; `wss:` over TLS with SNI;
 * - data frames: text/binary, fragmentation with continuation frames, control
 *   frames interleaved between fragments, `maxPayload` on the whole message
 *   (1009), frames split across TCP reads at any offset;
 * - control frames: ping (the 'ping' event; the owner answers), pong, close
 *   with code and reason both ways (echoed; the TCP connection is ended after
 *   the close handshake; `closeTimeoutMs` destroys it when the peer does not
 *   answer);
 * - protocol errors close with 1002 (reserved bits, unknown opcodes, masked
 *   server frames, fragmented or oversized control frames, unexpected
 *   continuation, invalid close codes), 1007 (invalid UTF-8), 1009 (too big).
 *   The error emitted carries `code` (the same WS_ERR_* names `ws` uses) and
 *   `statusCode` (the close code sent), like `ws`'s errors;
 * - client-side masking of every frame we send (random mask keys from a pool,
 *   as ws does);
 * - `pause()` / `resume()` (socket reads stop, and so does the parsing of the
 *   read in hand, at the next frame boundary; resume() delivers the rest).
 * Not implemented (not offered in the handshake, so never negotiated):
 * permessage-deflate and subprotocols; redirects; proxies.
 *
 * The surface mirrors the part of `ws` that WsConnection uses (send, ping,
 * pong, close, terminate, pause, resume, bufferedAmount, readyState, and the
 * events 'open', 'upgrade-refused', 'error', 'close', 'ping', 'pong'), so the
 * connection logic above it is shared. Messages do not go through an event:
 * they go to `onMessage(buf, start, end, isBinary)`, valid during the call
 * only (buf is the socket's chunk, or a reassembly buffer).
 */
import { EventEmitter } from 'node:events'
import { createHash, randomBytes, randomFillSync } from 'node:crypto'
import { isUtf8 } from 'node:buffer'
import net from 'node:net'
import tls from 'node:tls'

/** The per-message callback: the message is buf[start, end), valid during the call only. */
export type RawMessageHandler = (buf: Buffer, start: number, end: number, isBinary: boolean) => void

/** TLS settings for `wss:` (the defaults verify the server against the system CAs). */
export interface RawTlsOptions {
  ca?: string | Buffer | Array<string | Buffer>
  rejectUnauthorized?: boolean
  /** SNI and certificate name; default the URL's host name (not sent for IP addresses). */
  servername?: string
}

export interface RawWebSocketOptions {
  onMessage: RawMessageHandler
  /** called at the start of every socket read (before its frames): the receive clock */
  onChunk?: (() => void) | null
  maxPayload: number
  skipUtf8Validation?: boolean
  headers?: Record<string, string>
  /** after close(), destroy the socket when the handshake has not finished. Default 5000. */
  closeTimeoutMs?: number
  tls?: RawTlsOptions | null
  /**
   * > 0: the socket reads into ONE buffer of this many bytes, reused for every
   * read (Node's `onread`), instead of a fresh 64 KiB Buffer per read through
   * the stream's 'data' event. Every message view is then valid during
   * onMessage only (its bytes are overwritten by the next read); what outlives
   * a call (partial frames, fragments, ping payloads, the handshake head) is
   * copied. 0 (default): fresh chunks, views stay valid.
   */
  readBufferBytes?: number
}

/** readyState values, as in `ws` / the WHATWG API. */
export const RawState = { Connecting: 0, Open: 1, Closing: 2, Closed: 3 } as const

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
/** Largest HTTP response head we accept before the upgrade. */
const MAX_HEAD = 16 * 1024
const OP_CONT = 0x0
const OP_TEXT = 0x1
const OP_BINARY = 0x2
const OP_CLOSE = 0x8
const OP_PING = 0x9
const OP_PONG = 0xa
/** The header parser's answers (besides a frame size > 0). */
const NEED_MORE = -1
const FAILED = -2
/** 2^53 / 2^32: a 64-bit length whose high word is above this is not a safe integer. */
const MAX_HIGH_WORD = 0x1fffff

/** An error of the WebSocket protocol (or of the handshake), like ws's: `code` WS_ERR_*, `statusCode` the close code sent. */
export class RawWsError extends Error {
  readonly code: string
  readonly statusCode: number
  constructor(message: string, code: string, statusCode: number) {
    super(message)
    this.name = 'RawWsError'
    this.code = code
    this.statusCode = statusCode
  }
}

// Mask keys come from a pool of random bytes refilled in bulk (ws does the same).
const maskPool = Buffer.alloc(8192)
let maskPos = maskPool.length

function nextMask(): number {
  if (maskPos + 4 > maskPool.length) {
    randomFillSync(maskPool)
    maskPos = 0
  }
  const p = maskPos
  maskPos += 4
  return p
}

/** A valid close code to send or receive (RFC 6455 §7.4; the same set ws accepts). */
export function isValidCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999)
  )
}

/** One masked client frame (header + masked payload) in a fresh Buffer. */
function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length
  const hdr = n < 126 ? 2 : n < 65536 ? 4 : 10
  const out = Buffer.allocUnsafe(hdr + 4 + n)
  out[0] = 0x80 | opcode
  if (n < 126) {
    out[1] = 0x80 | n
  } else if (n < 65536) {
    out[1] = 0x80 | 126
    out.writeUInt16BE(n, 2)
  } else {
    out[1] = 0x80 | 127
    out.writeUInt32BE(Math.floor(n / 0x100000000), 2)
    out.writeUInt32BE(n >>> 0, 6)
  }
  const m = nextMask()
  maskPool.copy(out, hdr, m, m + 4)
  const k0 = maskPool[m]!
  const k1 = maskPool[m + 1]!
  const k2 = maskPool[m + 2]!
  const k3 = maskPool[m + 3]!
  const base = hdr + 4
  let i = 0
  for (; i + 4 <= n; i += 4) {
    out[base + i] = payload[i]! ^ k0
    out[base + i + 1] = payload[i + 1]! ^ k1
    out[base + i + 2] = payload[i + 2]! ^ k2
    out[base + i + 3] = payload[i + 3]! ^ k3
  }
  for (; i < n; i++) out[base + i] = payload[i]! ^ maskPool[m + (i & 3)]!
  return out
}

/** True when buf[start, end) is valid UTF-8 (ASCII scanned here, the rest natively). */
function validUtf8(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    if (buf[i]! >= 0x80) return isUtf8(buf.subarray(start, end))
  }
  return true
}

export class RawWebSocket extends EventEmitter {
  readonly url: string
  readyState: number = RawState.Connecting

  private readonly socket: net.Socket
  private readonly onMessage: RawMessageHandler
  private readonly onChunk: (() => void) | null
  private readonly maxPayload: number
  private readonly skipUtf8: boolean
  private readonly closeTimeoutMs: number
  private readonly key: string
  /** the reused read buffer (readBufferBytes > 0), else null */
  private readonly readBuf: Buffer | null

  // handshake
  private head: Buffer | null = null
  private upgraded = false

  // partial frame (split across reads): the header bytes in `hdrScratch`
  // until the frame's size is known, then the whole frame in `part`
  private readonly hdrScratch = Buffer.alloc(14)
  private part: Buffer | null = null
  private partLen = 0
  // the header parsed last (parseHeader)
  private hLen = 0
  private hOpcode = 0
  private hFin = false

  // pause(): reading stopped at a frame boundary; the rest of that read waits in `pending`
  private readPaused = false
  private pending: Buffer | null = null
  private pendingScheduled = false

  // fragmented message being assembled
  private fragOpcode = 0
  private frags: Buffer[] = []
  private fragBytes = 0

  // closing
  /** no more frames are read: a protocol error, or the peer's close frame */
  private stopped = false
  private closeSent = false
  private closeReceived = false
  private closeCode = 1006
  private closeReason: Buffer = Buffer.alloc(0)
  private closeTimer: NodeJS.Timeout | null = null
  private errorEmitted = false

  constructor(url: string, options: RawWebSocketOptions) {
    super()
    this.url = url
    this.onMessage = options.onMessage
    this.onChunk = options.onChunk ?? null
    this.maxPayload = options.maxPayload
    this.skipUtf8 = options.skipUtf8Validation === true
    this.closeTimeoutMs = options.closeTimeoutMs ?? 5000
    this.key = randomBytes(16).toString('base64')
    const rb = options.readBufferBytes ?? 0
    if (!Number.isInteger(rb) || rb < 0) throw new RangeError(`RawWebSocket: readBufferBytes must be an integer >= 0, got ${rb}`)
    this.readBuf = rb > 0 ? Buffer.allocUnsafe(Math.max(rb, 1024)) : null
    this.onRead = this.onRead.bind(this)
    this.parsePending = this.parsePending.bind(this)
    const onread = this.readBuf !== null ? { buffer: this.readBuf, callback: this.onRead } : undefined
    const u = new URL(url)
    let secure: boolean
    if (u.protocol === 'ws:' || u.protocol === 'http:') secure = false
    else if (u.protocol === 'wss:' || u.protocol === 'https:') secure = true
    else throw new SyntaxError(`RawWebSocket: the URL's protocol must be ws: or wss:, got ${u.protocol}`)
    if (u.hash !== '') throw new SyntaxError('RawWebSocket: the URL must not contain a fragment')
    const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname
    const port = u.port !== '' ? Number(u.port) : secure ? 443 : 80
    if (secure) {
      const t = options.tls ?? {}
      const servername = t.servername ?? (net.isIP(host) === 0 ? host : undefined)
      const opts: tls.ConnectionOptions & { onread?: typeof onread } = { host, port, ALPNProtocols: ['http/1.1'] }
      if (onread !== undefined) opts.onread = onread
      if (servername !== undefined) opts.servername = servername
      if (t.ca !== undefined) opts.ca = t.ca
      if (t.rejectUnauthorized !== undefined) opts.rejectUnauthorized = t.rejectUnauthorized
      this.socket = tls.connect(opts)
    } else {
      this.socket = net.connect(onread !== undefined ? { host, port, onread } : { host, port })
    }
    this.socket.setNoDelay(true)
    this.onData = this.onData.bind(this)
    if (onread === undefined) this.socket.on('data', this.onData)
    this.socket.on('error', (err) => this.emitError(err))
    this.socket.on('end', () => this.onEnd())
    this.socket.on('close', () => this.onSocketClose())
    const hostHeader = (u.hostname.includes(':') && !u.hostname.startsWith('[') ? `[${u.hostname}]` : u.hostname) + (u.port !== '' ? `:${u.port}` : '')
    let req =
      `GET ${u.pathname || '/'}${u.search} HTTP/1.1\r\n` +
      `Host: ${hostHeader}\r\n` +
      'Upgrade: websocket\r\n' +
      'Connection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${this.key}\r\n` +
      'Sec-WebSocket-Version: 13\r\n'
    for (const [k, v] of Object.entries(options.headers ?? {})) {
      if (/[\r\n]/.test(k) || /[\r\n]/.test(v)) throw new TypeError(`RawWebSocket: invalid header ${k}`)
      req += `${k}: ${v}\r\n`
    }
    this.socket.write(req + '\r\n')
  }

  /** Unsent bytes held by the socket. */
  get bufferedAmount(): number {
    return this.socket.writableLength
  }

  // ------------------------------------------------------------------ receiving (hot path)

  private onData(chunk: Buffer): void {
    if (this.onChunk !== null) this.onChunk()
    if (!this.upgraded) {
      this.onHandshakeData(chunk)
      return
    }
    this.parse(chunk, 0, chunk.length)
  }

  /** The reused read buffer's callback (readBufferBytes > 0): `n` bytes at its start. */
  private onRead(n: number, buf: Uint8Array): boolean {
    if (this.onChunk !== null) this.onChunk()
    const chunk = buf as Buffer
    if (!this.upgraded) this.onHandshakeData(Buffer.from(chunk.subarray(0, n)))
    else this.parse(chunk, 0, n)
    return true
  }

  /** Parses the frames of chunk[pos, len). */
  private parse(chunk: Buffer, pos: number, len: number): void {
    if (this.stopped) return
    if (this.partLen > 0) {
      pos = this.continuePartial(chunk, len)
      if (pos < 0 || this.stopped) return
    }
    while (pos < len) {
      const size = this.parseHeader(chunk, pos, len)
      if (size === FAILED) return
      if (size === NEED_MORE) {
        this.savePartial(chunk, pos, len, 0)
        return
      }
      const end = pos + size
      if (end > len) {
        this.savePartial(chunk, pos, len, size)
        return
      }
      this.frame(chunk, pos + this.hLen, end)
      if (this.stopped) return
      pos = end
      if (this.readPaused && pos < len) {
        this.stash(chunk, pos, len)
        return
      }
    }
  }

  /**
   * Reads and checks a frame header at buf[pos, avail). Returns the frame's
   * whole size (header + payload), NEED_MORE, or FAILED (the connection is
   * failing). Sets hLen, hOpcode, hFin, hPayload.
   */
  private parseHeader(buf: Buffer, pos: number, avail: number): number {
    if (avail - pos < 2) return NEED_MORE
    const b0 = buf[pos]!
    const b1 = buf[pos + 1]!
    const opcode = b0 & 0x0f
    const fin = (b0 & 0x80) !== 0
    if ((b0 & 0x70) !== 0) return this.protocolError('RSV bits must be clear (no extension was negotiated)', 'WS_ERR_UNEXPECTED_RSV_1', 1002)
    if ((b1 & 0x80) !== 0) return this.protocolError('a server must not mask its frames', 'WS_ERR_UNEXPECTED_MASK', 1002)
    let n = b1 & 0x7f
    let hdr = 2
    if (n === 126) {
      if (avail - pos < 4) return NEED_MORE
      n = (buf[pos + 2]! << 8) | buf[pos + 3]!
      hdr = 4
    } else if (n === 127) {
      if (avail - pos < 10) return NEED_MORE
      const hi = buf.readUInt32BE(pos + 2)
      const lo = buf.readUInt32BE(pos + 6)
      if (hi > MAX_HIGH_WORD) return this.protocolError('payload length exceeds 2^53 - 1', 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH', 1009)
      n = hi * 0x100000000 + lo
      hdr = 10
    }
    if (opcode >= OP_CLOSE) {
      if (opcode > OP_PONG) return this.protocolError(`invalid opcode ${opcode}`, 'WS_ERR_INVALID_OPCODE', 1002)
      if (!fin) return this.protocolError('a control frame must not be fragmented', 'WS_ERR_EXPECTED_FIN', 1002)
      if (n > 125) return this.protocolError('a control frame payload must be at most 125 bytes', 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', 1002)
    } else if (opcode === OP_CONT) {
      if (this.fragOpcode === 0) return this.protocolError('continuation frame without a message to continue', 'WS_ERR_INVALID_OPCODE', 1002)
      if (this.fragBytes + n > this.maxPayload) return this.protocolError('message exceeds maxPayload', 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 1009)
    } else if (opcode === OP_TEXT || opcode === OP_BINARY) {
      if (this.fragOpcode !== 0) return this.protocolError('a new message started inside a fragmented one', 'WS_ERR_INVALID_OPCODE', 1002)
      if (n > this.maxPayload) return this.protocolError('message exceeds maxPayload', 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 1009)
    } else {
      return this.protocolError(`invalid opcode ${opcode}`, 'WS_ERR_INVALID_OPCODE', 1002)
    }
    this.hLen = hdr
    this.hOpcode = opcode
    this.hFin = fin
    return hdr + n
  }

  /** One complete frame whose payload is buf[start, end) (header already parsed). */
  private frame(buf: Buffer, start: number, end: number): void {
    const opcode = this.hOpcode
    if (opcode === OP_TEXT || opcode === OP_BINARY) {
      if (this.hFin) {
        if (opcode === OP_TEXT && !this.skipUtf8 && !validUtf8(buf, start, end)) {
          this.protocolError('invalid UTF-8 in a text message', 'WS_ERR_INVALID_UTF8', 1007)
          return
        }
        this.onMessage(buf, start, end, opcode === OP_BINARY)
        return
      }
      this.fragOpcode = opcode
      this.frags = [Buffer.from(buf.subarray(start, end))]
      this.fragBytes = end - start
      return
    }
    if (opcode === OP_CONT) {
      this.frags.push(Buffer.from(buf.subarray(start, end)))
      this.fragBytes += end - start
      if (!this.hFin) return
      const msg = Buffer.concat(this.frags, this.fragBytes)
      const binary = this.fragOpcode === OP_BINARY
      this.fragOpcode = 0
      this.frags = []
      this.fragBytes = 0
      if (!binary && !this.skipUtf8 && !validUtf8(msg, 0, msg.length)) {
        this.protocolError('invalid UTF-8 in a text message', 'WS_ERR_INVALID_UTF8', 1007)
        return
      }
      this.onMessage(msg, 0, msg.length, binary)
      return
    }
    // control frames (interleaving with fragments is allowed); a reused read buffer's bytes do not outlive this call
    const payload = this.readBuf !== null ? Buffer.from(buf.subarray(start, end)) : buf.subarray(start, end)
    if (opcode === OP_PING) this.emit('ping', payload)
    else if (opcode === OP_PONG) this.emit('pong', payload)
    else this.onCloseFrame(payload)
  }

  /** Keeps chunk[pos, len) of an incomplete frame (`size` its whole size when known, else 0). */
  private savePartial(chunk: Buffer, pos: number, len: number, size: number): void {
    const n = len - pos
    if (size === 0) {
      chunk.copy(this.hdrScratch, 0, pos, len)
      this.part = null
    } else {
      // A fresh buffer per split frame (about one per socket read): views handed out stay valid.
      this.part = Buffer.allocUnsafe(size)
      chunk.copy(this.part, 0, pos, len)
    }
    this.partLen = n
  }

  /**
   * Completes the saved partial frame with the start of `chunk`. Returns the
   * offset in chunk after the frame, or -1 when chunk was used up (still partial).
   */
  private continuePartial(chunk: Buffer, len: number): number {
    let used = 0
    if (this.part === null) {
      // header still incomplete: add at most 14 bytes until its size is known
      const old = this.partLen
      const add = Math.min(14 - old, len)
      chunk.copy(this.hdrScratch, old, 0, add)
      const size = this.parseHeader(this.hdrScratch, 0, old + add)
      if (size === FAILED) return -1
      if (size === NEED_MORE) {
        this.partLen = old + add
        return -1
      }
      this.part = Buffer.allocUnsafe(size)
      this.hdrScratch.copy(this.part, 0, 0, old)
      this.partLen = old
    } else {
      // re-read the header of the saved frame (parseHeader state was overwritten since)
      this.parseHeader(this.part, 0, this.part.length)
    }
    const part = this.part
    const need = part.length - this.partLen
    const take = Math.min(need, len)
    chunk.copy(part, this.partLen, 0, take)
    used = take
    if (take < need) {
      this.partLen += take
      return -1
    }
    this.part = null
    this.partLen = 0
    this.frame(part, this.hLen, part.length)
    return used
  }

  private onCloseFrame(payload: Buffer): void {
    let code = 1005
    let reason: Buffer = Buffer.alloc(0)
    if (payload.length === 1) {
      this.protocolError('a close frame payload of 1 byte', 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', 1002)
      return
    }
    if (payload.length >= 2) {
      code = payload.readUInt16BE(0)
      if (!isValidCloseCode(code)) {
        this.protocolError(`invalid close code ${code}`, 'WS_ERR_INVALID_CLOSE_CODE', 1002)
        return
      }
      reason = Buffer.from(payload.subarray(2))
      if (!isUtf8(reason)) {
        this.protocolError('invalid UTF-8 in the close reason', 'WS_ERR_INVALID_UTF8', 1007)
        return
      }
    }
    this.closeReceived = true
    this.closeCode = code
    this.closeReason = reason
    this.stopped = true
    if (this.readyState === RawState.Open) this.readyState = RawState.Closing
    if (!this.closeSent) this.sendClose(code === 1005 ? 0 : code, reason)
    // Both close frames are out: the server closes TCP first (RFC 6455 §7.1.1); we end our side.
    this.socket.end()
    this.armCloseTimer()
  }

  /** Fails the connection: emits the error, sends a close frame with `status`, reads nothing more. Returns FAILED. */
  private protocolError(message: string, code: string, status: number): number {
    this.stopped = true
    this.part = null
    this.partLen = 0
    this.emitError(new RawWsError(message, code, status))
    if (this.readyState === RawState.Open || this.readyState === RawState.Closing) {
      this.readyState = RawState.Closing
      if (!this.closeSent) this.sendClose(status, Buffer.alloc(0))
      this.socket.end()
      this.armCloseTimer()
    } else {
      this.socket.destroy()
    }
    return FAILED
  }

  // ------------------------------------------------------------------ handshake (cold path)

  private onHandshakeData(chunk: Buffer): void {
    const head = this.head === null ? chunk : Buffer.concat([this.head, chunk])
    const end = head.indexOf('\r\n\r\n')
    if (end < 0) {
      if (head.length > MAX_HEAD) this.handshakeFailed('the upgrade response head is too large')
      else this.head = head
      return
    }
    this.head = null
    const lines = head.subarray(0, end).toString('latin1').split('\r\n')
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')
    if (status === null) {
      this.handshakeFailed('invalid HTTP response to the upgrade request')
      return
    }
    const code = Number(status[1])
    const headers = new Map<string, string>()
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!
      const c = line.indexOf(':')
      if (c <= 0) continue
      const name = line.slice(0, c).trim().toLowerCase()
      const value = line.slice(c + 1).trim()
      headers.set(name, headers.has(name) ? `${headers.get(name)!}, ${value}` : value)
    }
    if (code !== 101) {
      this.emit('upgrade-refused', code)
      this.socket.destroy()
      return
    }
    if ((headers.get('upgrade') ?? '').toLowerCase() !== 'websocket') {
      this.handshakeFailed('invalid Upgrade header')
      return
    }
    const connection = (headers.get('connection') ?? '').toLowerCase().split(',').map((s) => s.trim())
    if (!connection.includes('upgrade')) {
      this.handshakeFailed('invalid Connection header')
      return
    }
    const expected = createHash('sha1').update(this.key + GUID).digest('base64')
    if (headers.get('sec-websocket-accept') !== expected) {
      this.handshakeFailed('invalid Sec-WebSocket-Accept header')
      return
    }
    if (headers.has('sec-websocket-extensions')) {
      this.handshakeFailed('the server accepted an extension that was not offered')
      return
    }
    if (headers.has('sec-websocket-protocol')) {
      this.handshakeFailed('the server selected a subprotocol that was not offered')
      return
    }
    this.upgraded = true
    this.readyState = RawState.Open
    this.emit('open')
    // Frames that came with the response head.
    if (end + 4 < head.length && this.readyState === RawState.Open) this.parse(head, end + 4, head.length)
  }

  private handshakeFailed(message: string): void {
    this.emitError(new RawWsError(message, 'WS_ERR_HANDSHAKE', 0))
    this.socket.destroy()
  }

  // ------------------------------------------------------------------ sending

  /** Sends one text (or binary) message; `cb` when written to the socket (or with the error). */
  send(data: string | Buffer, options: { binary?: boolean }, cb?: (err?: Error) => void): void {
    const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
    this.sendFrame(options.binary === true ? OP_BINARY : OP_TEXT, payload, cb)
  }

  ping(data: Buffer | string, _mask: boolean, cb?: (err?: Error) => void): void {
    this.sendControl(OP_PING, data, cb)
  }

  pong(data: Buffer | string, _mask: boolean, cb?: (err?: Error) => void): void {
    this.sendControl(OP_PONG, data, cb)
  }

  private sendControl(opcode: number, data: Buffer | string, cb: ((err?: Error) => void) | undefined): void {
    const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
    if (payload.length > 125) throw new RangeError('RawWebSocket: a control frame payload must be at most 125 bytes')
    this.sendFrame(opcode, payload, cb)
  }

  private sendFrame(opcode: number, payload: Buffer, cb: ((err?: Error) => void) | undefined): void {
    if (this.readyState !== RawState.Open) {
      if (cb !== undefined) process.nextTick(cb, new Error(`WebSocket is not open: readyState ${this.readyState}`))
      return
    }
    // the socket passes null on success: the callbacks treat any falsy value as success
    this.socket.write(encodeFrame(opcode, payload), cb as ((err?: Error | null) => void) | undefined)
  }

  private sendClose(code: number, reason: Buffer): void {
    this.closeSent = true
    let payload: Buffer
    if (code === 0) payload = Buffer.alloc(0)
    else {
      payload = Buffer.allocUnsafe(2 + reason.length)
      payload.writeUInt16BE(code, 0)
      reason.copy(payload, 2)
    }
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(encodeFrame(OP_CLOSE, payload))
  }

  /**
   * Starts the close handshake (code default 1000; reason ≤ 123 bytes).
   * Before the upgrade it destroys the socket. Idempotent.
   */
  close(code?: number, reason?: string): void {
    if (this.readyState === RawState.Closed) return
    if (this.readyState === RawState.Connecting) {
      this.socket.destroy()
      return
    }
    if (code !== undefined && !isValidCloseCode(code)) throw new TypeError(`RawWebSocket: invalid close code ${code}`)
    const r = Buffer.from(reason ?? '', 'utf8')
    if (r.length > 123) throw new RangeError('RawWebSocket: the close reason must be at most 123 bytes')
    this.readyState = RawState.Closing
    if (!this.closeSent) this.sendClose(code ?? 1000, r)
    if (this.closeReceived) this.socket.end()
    this.armCloseTimer()
  }

  /** Destroys the socket at once (no close handshake). */
  terminate(): void {
    if (this.readyState === RawState.Closed) return
    if (this.readyState === RawState.Open) this.readyState = RawState.Closing
    this.socket.destroy()
  }

  /**
   * Stops reading: the socket stops (TCP backpressure to the sender) and the
   * frames left in the read being parsed wait too (from the next frame
   * boundary on), so a paused connection delivers at most the frame in hand.
   */
  pause(): void {
    this.readPaused = true
    this.socket.pause()
  }

  /** Reads again: first what was left of the read when pause() came (in a later macrotask), then the socket. */
  resume(): void {
    this.readPaused = false
    if (this.pending !== null) {
      if (!this.pendingScheduled) {
        this.pendingScheduled = true
        setImmediate(this.parsePending)
      }
      return
    }
    this.socket.resume()
  }

  /** The rest of a read that pause() interrupted (copied: a reused read buffer is overwritten by the next read). */
  private stash(chunk: Buffer, pos: number, len: number): void {
    this.pending = Buffer.from(chunk.subarray(pos, len))
  }

  private parsePending(): void {
    this.pendingScheduled = false
    if (this.readPaused || this.stopped) return
    const p = this.pending
    this.pending = null
    if (p !== null) this.parse(p, 0, p.length)
    if (!this.readPaused && this.pending === null) this.socket.resume()
  }

  private armCloseTimer(): void {
    if (this.closeTimer !== null) return
    this.closeTimer = setTimeout(() => {
      this.closeTimer = null
      this.socket.destroy()
    }, this.closeTimeoutMs)
    this.closeTimer.unref()
  }

  private onEnd(): void {
    // The peer ended its side: finish ours (it may have sent its close frame first).
    if (this.readyState === RawState.Open) this.readyState = RawState.Closing
    this.stopped = true
    this.socket.end()
  }

  private emitError(err: Error): void {
    if (this.errorEmitted) return
    this.errorEmitted = true
    this.emit('error', err)
  }

  private onSocketClose(): void {
    if (this.closeTimer !== null) clearTimeout(this.closeTimer)
    this.closeTimer = null
    this.readyState = RawState.Closed
    this.stopped = true
    this.part = null
    this.pending = null
    this.frags = []
    this.emit('close', this.closeReceived ? this.closeCode : 1006, this.closeReceived ? this.closeReason : Buffer.alloc(0))
  }
}
