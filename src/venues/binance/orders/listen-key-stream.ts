/**
 * Legacy user data stream (protocol §5.1 "Legacy listenKey"): the fallback
 * when the WS-API subscription is not used.
 *
 *   POST /api/v3/userDataStream → listenKey ; connect <stream>/ws/<listenKey>
 *   PUT every `keepAliveMs` (default 30 min; the key dies after 60 min without)
 *   listenKeyExpired / -1125 → new key, reconnect
 *
 * Events arrive bare (`/ws/…`) or combined (`{stream, data}`); the gateway
 * unwraps both.
 */
import { epochUs } from '../../../core/clock.js'
import { ErrorCode, TickflowError, describeError } from '../../../core/errors.js'
import { silentLogger, type Logger } from '../../../core/logger.js'
import { ManagedWs, type OpenReason } from '../../../transport/managed-ws.js'
import type { WsFrame } from '../../../transport/ws-frame.js'
import type { WsStateChange } from '../../../transport/ws-state.js'
import { unwrapUserEvent } from './decode.js'
import { Outcome, type BinanceRestClient } from './rest-client.js'

export interface ListenKeyStreamOptions {
  rest: BinanceRestClient
  /** stream base, e.g. wss://stream.binance.com:9443 (the key is appended as /ws/<key>) */
  streamUrl: string
  keepAliveMs: number
  onEvent(ev: Record<string, unknown>, recvUs: number): void
  onReady(reason: OpenReason): void
  onLost(reason: string): void
  logger?: Logger
}

export class ListenKeyStream {
  private readonly o: ListenKeyStreamOptions
  private readonly log: Logger
  private listenKey = ''
  private ws: ManagedWs | null = null
  private timer: NodeJS.Timeout | null = null
  private ready = false
  /** a renewal is under way: the next open replaces a stream that missed events */
  private renewing = false
  stats = { keysCreated: 0, keepAlives: 0, keepAliveFailures: 0, events: 0, malformed: 0 }

  constructor(o: ListenKeyStreamOptions) {
    this.o = o
    this.log = o.logger ?? silentLogger
  }

  private async createKey(): Promise<void> {
    const r = await this.o.rest.keyed('POST', '/api/v3/userDataStream', [])
    if (r.outcome !== Outcome.Ok) throw new TickflowError(ErrorCode.VENUE_SUBSCRIBE_FAILED, `POST /api/v3/userDataStream failed: ${r.status} ${r.code} ${r.msg}`)
    this.listenKey = (r.body as { listenKey: string }).listenKey
    this.stats.keysCreated++
  }

  async start(): Promise<void> {
    await this.createKey()
    this.ws = new ManagedWs({
      url: () => `${this.o.streamUrl.replace(/\/$/, '')}/ws/${this.listenKey}`,
      name: 'binance-user-data',
      onFrame: (f) => this.onFrame(f),
      onOpen: (_conn, reason) => {
        this.ready = true
        const r: OpenReason = this.renewing ? 'reconnect' : reason
        this.renewing = false
        setImmediate(() => this.o.onReady(r))
      },
      onState: (c) => this.onState(c),
      onError: (err) => this.log.warn({ err: describeError(err) }, 'user data stream connection attempt failed'),
      lifetimeMs: 23 * 3600_000,
    })
    await this.ws.start()
    this.timer = setInterval(() => void this.keepAlive(), this.o.keepAliveMs)
    this.timer.unref()
  }

  private onState(c: WsStateChange): void {
    if ((c.stateName === 'reconnecting' || c.stateName === 'closed') && this.ready) {
      this.ready = false
      this.o.onLost(c.reason)
    }
  }

  private async keepAlive(): Promise<void> {
    let r
    try {
      r = await this.o.rest.keyed('PUT', '/api/v3/userDataStream', [['listenKey', this.listenKey]])
    } catch (err) {
      this.stats.keepAliveFailures++
      this.log.warn({ err: describeError(err) }, 'listenKey keep-alive not sent (weight budget)')
      return
    }
    if (r.outcome === Outcome.Ok) {
      this.stats.keepAlives++
      return
    }
    this.stats.keepAliveFailures++
    if (r.code === -1125) await this.renew('keep-alive: listenKey does not exist')
  }

  private async renew(reason: string): Promise<void> {
    try {
      await this.createKey()
      this.renewing = true
      this.o.onLost(reason)
      this.ws?.requestReconnect(reason)
    } catch (err) {
      this.log.error({ err: describeError(err) }, 'cannot renew the listenKey')
    }
  }

  private onFrame(f: WsFrame): void {
    let msg: unknown
    try {
      msg = JSON.parse(f.data!.toString('utf8'))
    } catch {
      this.stats.malformed++
      return
    }
    const ev = unwrapUserEvent(msg)
    if (ev === null) {
      this.stats.malformed++
      return
    }
    this.stats.events++
    if (ev.e === 'listenKeyExpired') {
      void this.renew('listenKeyExpired')
      return
    }
    this.o.onEvent(ev, f.recvTsUs > 0 ? f.recvTsUs : epochUs())
  }

  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
    this.ready = false
    if (this.ws !== null) await this.ws.close(1000, 'closing')
    if (this.listenKey !== '') await this.o.rest.keyed('DELETE', '/api/v3/userDataStream', [['listenKey', this.listenKey]]).catch(() => undefined)
  }
}
