/**
 * Accounts of the simulated venue: keys, balances (free / locked, scale-8
 * mantissas, exact), orders and trades, order-rate counters, and the sinks of
 * the account's user data stream.
 */
import { randomBytes } from 'node:crypto'
import { parseDecimal } from '../core/fixed-point.js'
import type { RestingOrder } from './book.js'
import { ed25519Key, hmacKey, KeyKind, type KeyMaterial } from './auth.js'
import type { AccountConfig } from './options.js'

export class Balance {
  free = 0
  locked = 0
}

export const OrderStatus = {
  New: 'NEW',
  PartiallyFilled: 'PARTIALLY_FILLED',
  Filled: 'FILLED',
  Canceled: 'CANCELED',
  Expired: 'EXPIRED',
  Rejected: 'REJECTED',
} as const

/** One order of an account. Amounts are scale-8 mantissas. */
export class SimOrder implements RestingOrder {
  orderId = 0
  accountId = 0
  symbol = ''
  isBuy = true
  type = 'LIMIT'
  timeInForce = 'GTC'
  price = 0
  origQty = 0
  remaining = 0
  executedQty = 0
  cumQuote = 0
  quoteOrderQty = 0
  clientOrderId = ''
  status: string = OrderStatus.New
  timeMs = 0
  updateTimeMs = 0
  workingTimeMs = -1
  isWorking = false
  /** amount of the account's locked balance held by this order (quote for buys, base for sells) */
  locked = 0
  expiryReason = ''
}

/** A fill of an account (myTrades). */
export interface AccountTrade {
  symbol: string
  id: number
  orderId: number
  price: number
  qty: number
  quoteQty: number
  commission: number
  commissionAsset: string
  timeMs: number
  isBuyer: boolean
  isMaker: boolean
}

/** Where user-data events of an account go. */
export interface UserDataSink {
  /** delivers one event payload (a JSON object text) */
  deliver(payload: string): void
  /** true while it should get events */
  alive(): boolean
}

export class Account {
  readonly id: number
  readonly apiKey: string
  readonly key: KeyMaterial
  readonly secretSource: string
  makerRate: number
  takerRate: number
  readonly balances = new Map<string, Balance>()
  readonly orders = new Map<number, SimOrder>()
  readonly openByClientId = new Map<string, SimOrder>()
  readonly trades: AccountTrade[] = []
  readonly sinks: UserDataSink[] = []
  orders10s: number[] = []
  ordersDay = 0
  dayStartMs = 0
  updateTimeMs = 0
  /** faults: duplicate the next N executionReports; hold one to reorder it */
  dupReports = 0
  reorderReports = 0
  heldReport: string | null = null
  heldBatches = 0
  /** fault: the next N order requests are accepted but never answered */
  swallowOrders = 0

  constructor(id: number, apiKey: string, key: KeyMaterial, secretSource: string, makerRate: number, takerRate: number) {
    this.id = id
    this.apiKey = apiKey
    this.key = key
    this.secretSource = secretSource
    this.makerRate = makerRate
    this.takerRate = takerRate
  }

  balance(asset: string): Balance {
    let b = this.balances.get(asset)
    if (b === undefined) {
      b = new Balance()
      this.balances.set(asset, b)
    }
    return b
  }

  /** Counts an order against ORDERS 10 s / 1 d; returns [count10s, countDay]. */
  countOrder(nowMs: number): [number, number] {
    const cutoff = nowMs - 10_000
    let i = 0
    while (i < this.orders10s.length && this.orders10s[i]! <= cutoff) i++
    if (i > 0) this.orders10s = this.orders10s.slice(i)
    this.orders10s.push(nowMs)
    if (nowMs - this.dayStartMs >= 86_400_000) {
      this.dayStartMs = nowMs - (nowMs % 86_400_000)
      this.ordersDay = 0
    }
    this.ordersDay++
    return [this.orders10s.length, this.ordersDay]
  }

  orderCounts(nowMs: number): [number, number] {
    const cutoff = nowMs - 10_000
    let n = 0
    for (const t of this.orders10s) if (t > cutoff) n++
    return [n, nowMs - this.dayStartMs >= 86_400_000 ? 0 : this.ordersDay]
  }

  /** Sends one event to every live sink, dropping dead ones. */
  emit(payload: string): void {
    for (let i = 0; i < this.sinks.length; i++) {
      const s = this.sinks[i]!
      if (!s.alive()) {
        this.sinks.splice(i--, 1)
        continue
      }
      s.deliver(payload)
    }
  }
}

export const DEMO_BALANCES: Record<string, string> = { USDT: '1000000', BTC: '100', ETH: '1000', SOL: '10000' }

function rate(text: string): number {
  return parseDecimal(text, 8)
}

/** Builds the accounts from configuration, or the demo account. */
export function buildAccounts(
  configs: AccountConfig[],
  fees: { maker: string; taker: string },
  demo: { apiKey?: string; secret?: string },
  env: NodeJS.ProcessEnv,
): { accounts: Account[]; demo: { apiKey: string; secret: string; source: string } | null } {
  const out: Account[] = []
  if (configs.length > 0) {
    configs.forEach((c, i) => {
      const key = c.secret !== undefined ? hmacKey(c.secret) : ed25519Key(c.ed25519PublicKey!)
      const a = new Account(i + 1, c.apiKey, key, key.kind === KeyKind.Hmac ? 'config (HMAC secret)' : 'config (Ed25519 public key)', rate(c.makerFee ?? fees.maker), rate(c.takerFee ?? fees.taker))
      for (const [asset, amt] of Object.entries(c.balances ?? {})) a.balance(asset).free = parseDecimal(amt, 8)
      out.push(a)
    })
    return { accounts: out, demo: null }
  }
  let apiKey = demo.apiKey ?? env.TICKFLOW_SIM_API_KEY
  let secret = demo.secret ?? env.TICKFLOW_SIM_API_SECRET
  let source: string
  if (demo.secret !== undefined) source = 'config (demo.secret)'
  else if (env.TICKFLOW_SIM_API_SECRET !== undefined && env.TICKFLOW_SIM_API_SECRET !== '') source = 'environment (TICKFLOW_SIM_API_SECRET)'
  else source = 'generated'
  if (apiKey === undefined || apiKey === '') apiKey = randomBytes(32).toString('hex')
  if (secret === undefined || secret === '') secret = randomBytes(32).toString('hex')
  const a = new Account(1, apiKey, hmacKey(secret), source, rate(fees.maker), rate(fees.taker))
  for (const [asset, amt] of Object.entries(DEMO_BALANCES)) a.balance(asset).free = parseDecimal(amt, 8)
  out.push(a)
  return { accounts: out, demo: { apiKey, secret, source } }
}
