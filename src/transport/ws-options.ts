/**
 * The options, results and stats of a WsConnection (see ws-connection.ts and
 * docs/transport.md). Types only, plus the payload default.
 */
import type { BoundedPool } from '../core/pool.js'
import type { TickflowError } from '../core/errors.js'
import type { RateLimitOptions } from './rate-limiter.js'
import type { RawTlsOptions } from './raw-ws.js'
import type { WsFrame } from './ws-frame.js'
import type { WsStateListener, WsStateName } from './ws-state.js'

/** Default reused read buffer of a raw hot-path connection: 256 KiB (docs/transport.md "Read buffer"). */
export const DEFAULT_READ_BUFFER_BYTES = 256 * 1024

/** Default largest incoming message: 4 MiB (see docs/transport.md "maxPayload"). */
export const DEFAULT_MAX_PAYLOAD = 4 * 1024 * 1024

/** The per-frame callback. `frame` and `frame.data` are valid only during the call. */
export type FrameHandler = (frame: WsFrame) => void

export interface ConnectOptions {
  /**
   * The WebSocket client: 'ws' (the `ws` package, default) or 'raw' (our
   * minimal RFC 6455 client, raw-ws.ts: no Buffer per message, about half
   * the receive CPU; docs/transport.md "Raw transport").
   */
  transport?: 'ws' | 'raw'
  /** TLS settings for wss: (extra CA, verification, SNI name). Default: system CAs, verified, SNI = host. */
  tls?: RawTlsOptions | null
  /** Aborts the handshake (the socket is terminated; rejects with WS_ABORTED). Not used after open. */
  signal?: AbortSignal | null
  /** Extra HTTP headers for the upgrade request. */
  headers?: Record<string, string>
  /** Whole handshake deadline (TCP + TLS + HTTP upgrade). Default 10000. */
  handshakeTimeoutMs?: number
  /** Largest incoming message in bytes; bigger ones close with 1009. Default DEFAULT_MAX_PAYLOAD (4 MiB). */
  maxPayload?: number
  /** Skip `ws`'s UTF-8 check of text frames (~5-9 % less CPU, node-performance.md §2.2). Default false. */
  skipUtf8Validation?: boolean
  /**
   * Raw transport, hot-path mode (`onFrame`): the socket reads into one
   * reused buffer of this many bytes instead of a fresh 64 KiB chunk per read
   * (docs/transport.md "Read buffer"). 0 = fresh chunks. Default 256 KiB;
   * read() mode always uses fresh chunks (queued frames outlive the read).
   */
  readBufferBytes?: number
  /** Pool of WsFrame (runtime's hot pool); null/absent: one private frame per connection. */
  frames?: BoundedPool<WsFrame> | null
  /** Hot-path reader. When given, read()/iteration are not available. */
  onFrame?: FrameHandler | null
  /** read() mode: frames queued before the socket is paused. Default 1024. */
  queueCapacity?: number
  /** Messages that may wait in the outgoing queue (data; control has its own 64). Default 1024. */
  outQueueCapacity?: number
  /** Outgoing limiter (e.g. Binance {limit: 5, intervalMs: 1000}); null = none. Default null. */
  rateLimit?: RateLimitOptions | null
  /** Data writes wait while the socket holds more than this many unsent bytes. Default 1 MiB. */
  writeHighWaterBytes?: number
  /** After close(), the socket is destroyed if the close handshake has not finished. Default 5000. */
  closeTimeoutMs?: number
  /** Our pings every this many ms; 0 = none. Default 0. */
  pingIntervalMs?: number
  /** Deadline for the pong to our ping. Default 10000. */
  pongTimeoutMs?: number
  /** No data frame for this long = stale (terminate with WS_STALE); 0 = off. Default 0. */
  staleMs?: number
  /** Keepalive timer period; default a quarter of the smallest enabled period (min 5 ms). */
  tickMs?: number
  /** Name shown in state changes and stats. */
  name?: string
  /** Called on every state change of this connection. */
  onState?: WsStateListener | null
  /** Called once when the connection is closed (after pending reads/writes were settled). */
  onClose?: ((info: WsCloseInfo) => void) | null
  /** Called when `onFrame` throws (the frame is counted and skipped; the socket keeps reading). */
  onCallbackError?: ((err: unknown) => void) | null
}

/** How a connection ended. */
export interface WsCloseInfo {
  connId: number
  /** RFC 6455 status code: the peer's, ours, or 1006 (abnormal: no close frame). */
  code: number
  reason: string
  /** true when a close frame was received and the socket ended normally. */
  wasClean: boolean
  /** The failure that ended it (WS_PONG_TIMEOUT, WS_STALE, WS_QUEUE_FULL, a socket error …), or null. */
  error: TickflowError | null
}

/** One message taken with read(). Owned by the caller (not pooled). */
export interface WsMessage {
  /** A view of the received bytes (`ws`'s buffer; not reused by anyone). */
  data: Buffer
  isBinary: boolean
  /** epoch µs at receipt */
  recvTsUs: number
  /** per-connection frame sequence */
  frameSeq: number
}

export interface WsConnectionStats {
  connId: number
  name: string
  url: string
  /** the WebSocket client: 'raw' (tickflow's RFC 6455 client) or 'ws' */
  transport: 'raw' | 'ws'
  state: WsStateName
  framesReceived: number
  bytesReceived: number
  messagesSent: number
  bytesSent: number
  pingsSent: number
  pingsReceived: number
  pongsSent: number
  pongsReceived: number
  pongTimeouts: number
  stale: number
  /** frames delivered with the private spare frame because the WsFrame pool was empty */
  framePoolExhausted: number
  callbackErrors: number
  queueDepth: number
  queueHighWater: number
  paused: boolean
  pauses: number
  outQueueDepth: number
  /** sends that had to wait for the limiter */
  limiterWaits: number
  /** control messages dropped because 64 were already waiting */
  controlDropped: number
  bufferedAmount: number
  transitions: Record<WsStateName, number>
  closeCode: number
}
