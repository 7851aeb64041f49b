/**
 * The firehose: N `trade` frames on one stream to the connections
 * subscribed to it, as fast as each client drains (or at a given rate),
 * for benchmarks and load tests.
 *
 * While it runs, the connection is taken off the stream's regular fan-out,
 * so what it receives is exactly the firehose: contiguous trade ids starting
 * after the symbol's last trade id (every connection of one firehose call
 * gets the same ids; afterwards the symbol's sequence continues after them,
 * so the stream stays gap-free for that connection), plus an extra
 * string field `"ts"`: the server's CLOCK_MONOTONIC (process.hrtime.bigint(),
 * ns) when the frame was encoded, just before its batch is written. Clients
 * ignore unknown keys; a benchmark on the same host subtracts it from its own
 * receive stamp for the one-way latency.
 *
 * `monotonicTimes: true` (benchmarks of clients that expose only the parsed
 * Binance fields): "E" and "T" carry the same send stamp in CLOCK_MONOTONIC
 * microseconds (process.hrtime.bigint() / 1000), i.e. timeUnit=MICROSECOND
 * semantics on a venue whose clock is the host's monotonic clock. Every
 * Binance client exposes E or T (raw, beautified, ccxt's `info`, tardis'
 * `timestamp`, tickflow's tsEventUs), so each can read the stamp at the
 * moment it hands the trade to user code. Default off: E and T are epoch ms.
 *
 * Throughput: frames are encoded straight into one batch buffer (header +
 * payload, latin1 writes, no per-frame Buffer or JSON), one socket.write per
 * batch of up to BATCH frames, and the pump waits for 'drain' whenever the
 * socket holds more than half of its bound, so memory stays bounded whatever
 * the client does. Between batches it yields with setImmediate so that other
 * clients are served.
 */
import type { Hub, StreamSession } from './hub.js'
import type { SymbolMarket } from './market.js'
import { fmt } from './wire.js'

const BATCH = 512
const MAX_FRAME = 256

export interface FirehoseRequest {
  /** stream name, `<symbol>@trade` */
  stream: string
  /** frames to send */
  count: number
  /** frames per second; 0 = as fast as the client drains */
  rate?: number
  /** only this connection id (default: every connection subscribed to the stream) */
  connId?: number
  /** E and T = the send stamp in CLOCK_MONOTONIC µs instead of epoch ms (default false) */
  monotonicTimes?: boolean
}

export interface FirehoseResult {
  connId: number
  sent: number
  elapsedMs: number
  /** true when the connection closed before all frames were sent */
  aborted: boolean
}

export class FirehosePump {
  readonly session: StreamSession
  readonly sm: SymbolMarket
  readonly total: number
  readonly rate: number
  readonly monotonicTimes: boolean
  sent = 0
  private readonly combinedPrefix: string
  private readonly body1: string
  private readonly body2: string
  private readonly tail: string
  private cur: Buffer | null = null
  private readonly buf: Buffer
  private readonly startNs: bigint
  private readonly startMs: number
  private resolve: ((r: FirehoseResult) => void) | null = null
  private waitingDrain = false
  private done = false
  private timer: NodeJS.Timeout | null = null
  private readonly stepBound: () => void
  private nextId: number
  private readonly hub: Hub
  private readonly stream: string

  constructor(session: StreamSession, sm: SymbolMarket, count: number, rate: number, firstId: number, hub: Hub, monotonicTimes = false) {
    this.session = session
    this.sm = sm
    this.nextId = firstId
    this.hub = hub
    this.stream = `${sm.lower}@trade`
    this.total = count
    this.rate = rate
    this.monotonicTimes = monotonicTimes
    this.combinedPrefix = `{"stream":"${sm.lower}@trade","data":`
    this.body1 = `{"e":"trade","E":`
    const price = sm.book.bids.bestPrice() > 0 ? sm.book.bids.bestPrice() : sm.spec.startPrice
    this.body2 = `,"s":"${sm.sym}","t":`
    this.tail = `,"p":"${fmt(price)}","q":"${fmt(sm.spec.stepSize)}","T":`
    this.buf = Buffer.allocUnsafe(BATCH * MAX_FRAME)
    this.startNs = process.hrtime.bigint()
    this.startMs = Date.now()
    this.stepBound = () => this.step()
  }

  run(): Promise<FirehoseResult> {
    return new Promise((resolve) => {
      this.resolve = resolve
      this.session.onDrain = () => this.onDrain()
      this.session.onClosed = () => this.finish(true)
      this.hub.unsubscribe(this.session, this.stream)
      this.step()
    })
  }

  private onDrain(): void {
    if (!this.waitingDrain) return
    this.waitingDrain = false
    this.step()
  }

  /** Stops early (connection closed or simulator closing). */
  abort(): void {
    this.finish(true)
  }

  private finish(aborted: boolean): void {
    if (this.done) return
    this.done = true
    if (this.timer !== null) clearTimeout(this.timer)
    this.session.onDrain = null
    this.session.onClosed = null
    if (this.sm.tradeId < this.nextId - 1) this.sm.tradeId = this.nextId - 1
    if (this.session.conn.open) this.hub.subscribe(this.session, this.stream)
    const r = this.resolve
    this.resolve = null
    if (r !== null) r({ connId: this.session.conn.id, sent: this.sent, elapsedMs: Date.now() - this.startMs, aborted })
  }

  private step(): void {
    if (this.done) return
    const conn = this.session.conn
    if (!conn.open) {
      this.finish(true)
      return
    }
    let n = BATCH
    if (this.rate > 0) {
      const elapsedNs = Number(process.hrtime.bigint() - this.startNs)
      const due = Math.min(this.total, Math.floor((elapsedNs / 1e9) * this.rate) + 1)
      n = Math.min(BATCH, due - this.sent)
      if (n <= 0) {
        const waitMs = Math.max(1, Math.ceil(((this.sent + 1) / this.rate) * 1000 - elapsedNs / 1e6))
        this.timer = setTimeout(this.stepBound, waitMs)
        return
      }
    }
    n = Math.min(n, this.total - this.sent)
    const len = this.encodeBatch(n)
    const ok = conn.sendFrame(this.cur!.subarray(0, len))
    this.sent += n
    if (this.sent >= this.total) {
      this.finish(!conn.open)
      return
    }
    if (!conn.open) {
      this.finish(true)
      return
    }
    if (!ok) {
      this.waitingDrain = true
      return
    }
    if (this.rate > 0) this.timer = setTimeout(this.stepBound, 0)
    else setImmediate(this.stepBound)
  }

  /**
   * Encodes n frames into a batch buffer; returns the byte length. socket.write
   * keeps a reference to the Buffer until it is flushed, so the preallocated
   * buffer is reused only when the socket has nothing queued.
   */
  private encodeBatch(n: number): number {
    let off = 0
    const buf = this.fresh()
    const combined = this.session.combined
    const nowMs = Date.now()
    const mono = this.monotonicTimes
    for (let i = 0; i < n; i++) {
      const id = this.nextId++
      const ts = process.hrtime.bigint()
      const t = mono ? ts / 1000n : nowMs
      let payload = this.body1 + t + this.body2 + id + this.tail + t + ',"m":true,"M":true,"ts":"' + ts + '"}'
      if (combined) payload = this.combinedPrefix + payload + '}'
      const plen = payload.length
      // header: FIN|text, 7-bit or 16-bit length (frames are < 64 KiB)
      buf[off] = 0x81
      if (plen < 126) {
        buf[off + 1] = plen
        off += 2
      } else {
        buf[off + 1] = 126
        buf[off + 2] = plen >> 8
        buf[off + 3] = plen & 0xff
        off += 4
      }
      off += buf.write(payload, off, 'latin1')
    }
    this.cur = buf
    return off
  }

  private fresh(): Buffer {
    const conn = this.session.conn
    if (conn.socket.writableLength === 0) return this.buf
    return Buffer.allocUnsafe(BATCH * MAX_FRAME)
  }

  /** The buffer of the last batch (tests). */
  lastBatch(): Buffer | null {
    return this.cur
  }
}
