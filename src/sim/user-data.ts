/**
 * User data stream delivery (protocol §5.1):
 * - legacy listenKey: POST/PUT/DELETE /api/v3/userDataStream, events on the
 *   hub topic named by the listenKey (so `/ws/<listenKey>` gets bare events
 *   and `/stream?streams=<listenKey>` gets `{"stream","data"}`); after
 *   `validityMs` without a keepalive it sends `listenKeyExpired` and stops;
 * - WS-API subscriptions: `{"subscriptionId":N,"event":{…}}` on the WS-API
 *   connection (sinks created by ws-api.ts).
 */
import { randomBytes } from 'node:crypto'
import type { Account, UserDataSink } from './accounts.js'
import type { Hub } from './hub.js'

export class ListenKey implements UserDataSink {
  readonly key: string
  readonly account: Account
  expiresAtMs: number
  active = true
  private readonly hub: Hub
  constructor(key: string, account: Account, expiresAtMs: number, hub: Hub) {
    this.key = key
    this.account = account
    this.expiresAtMs = expiresAtMs
    this.hub = hub
  }
  deliver(payload: string): void {
    const t = this.hub.live(this.key)
    if (t !== null) t.publish(Buffer.from(payload), null)
  }
  alive(): boolean {
    return this.active
  }
}

export class ListenKeys {
  readonly byKey = new Map<string, ListenKey>()
  readonly stats = { created: 0, expired: 0, deleted: 0 }
  validityMs: number
  private readonly hub: Hub
  private readonly nowMs: () => number

  constructor(hub: Hub, validityMs: number, nowMs: () => number) {
    this.hub = hub
    this.validityMs = validityMs
    this.nowMs = nowMs
  }

  /** POST: one listenKey per account (Binance returns the existing one and extends it). */
  create(acc: Account): ListenKey {
    for (const lk of this.byKey.values()) {
      if (lk.account === acc && lk.active) {
        lk.expiresAtMs = this.nowMs() + this.validityMs
        return lk
      }
    }
    const lk = new ListenKey(randomBytes(30).toString('hex'), acc, this.nowMs() + this.validityMs, this.hub)
    this.byKey.set(lk.key, lk)
    acc.sinks.push(lk)
    this.stats.created++
    return lk
  }

  get(key: string, acc: Account): ListenKey | null {
    const lk = this.byKey.get(key)
    return lk !== undefined && lk.active && lk.account === acc ? lk : null
  }

  isActive(key: string): boolean {
    const lk = this.byKey.get(key)
    return lk !== undefined && lk.active
  }

  keepalive(lk: ListenKey): void {
    lk.expiresAtMs = this.nowMs() + this.validityMs
  }

  delete(lk: ListenKey): void {
    lk.active = false
    this.byKey.delete(lk.key)
    this.stats.deleted++
  }

  /** Expires `lk` now: sends listenKeyExpired and stops delivering. */
  expire(lk: ListenKey): void {
    if (!lk.active) return
    const now = this.nowMs()
    lk.deliver(`{"e":"listenKeyExpired","E":${now},"listenKey":"${lk.key}"}`)
    lk.active = false
    this.byKey.delete(lk.key)
    this.stats.expired++
  }

  /** Expires every key past its validity (timer). */
  sweep(): void {
    const now = this.nowMs()
    for (const lk of [...this.byKey.values()]) if (now >= lk.expiresAtMs) this.expire(lk)
  }
}
