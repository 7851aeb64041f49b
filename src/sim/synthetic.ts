/**
 * The synthetic market source: a seeded random walk per symbol, made of the
 * same actions a real book sees, each one a batch with its own update id:
 *
 * - a taker trade against the top of book (market or through a user order);
 * - a liquidity change at one of the 15 levels nearest the top of a side;
 * - a new level inside the spread (the mid moves);
 * - refills so each side keeps at least 10 levels.
 *
 * Trades consume liquidity through Market.execute, so the book, the trade
 * stream, the diffs and bookTicker always agree, and users' resting orders
 * fill when the simulated market trades through them. Deterministic for a
 * seed (one PRNG per symbol, seeded from the seed and the symbol's index).
 */
import { Rng } from './rng.js'
import type { Execution, Market, SymbolMarket } from './market.js'

const MIN_LEVELS = 10

export class SyntheticSource {
  private readonly market: Market
  private readonly rngs: Rng[]
  private readonly execs: Execution[] = []

  constructor(market: Market, seed: number) {
    this.market = market
    this.rngs = market.list.map((_, i) => new Rng((seed * 7919 + i * 104729) >>> 0))
    for (let i = 0; i < market.list.length; i++) this.seedBook(market.list[i]!, this.rngs[i]!)
  }

  private randomQty(sm: SymbolMarket, rng: Rng, maxFactor: number): number {
    const step = sm.spec.stepSize
    const lots = Math.max(1, Math.floor((sm.spec.levelQty / step) * maxFactor))
    return step * rng.int(1, lots)
  }

  private seedBook(sm: SymbolMarket, rng: Rng): void {
    const tick = sm.spec.tickSize
    const mid = sm.spec.startPrice
    for (let i = 1; i <= 20; i++) {
      sm.book.bids.setAnon(mid - i * tick, this.randomQty(sm, rng, 2))
      sm.book.asks.setAnon(mid + i * tick, this.randomQty(sm, rng, 2))
    }
    this.market.commit(sm)
  }

  /** One step of every symbol. */
  step(): void {
    const list = this.market.list
    for (let i = 0; i < list.length; i++) {
      const sm = list[i]!
      if (sm.replay) continue
      this.stepSymbol(sm, this.rngs[i]!)
    }
  }

  private stepSymbol(sm: SymbolMarket, rng: Rng): void {
    const tick = sm.spec.tickSize
    const r = rng.next()
    const isBuy = rng.next() < 0.5
    if (r < 0.3) {
      const top = sm.makerSide(isBuy).best()
      if (top !== undefined) {
        this.execs.length = 0
        const qty = Math.min(this.randomQty(sm, rng, 0.6), top.total())
        this.market.execute(sm, isBuy, top.price, qty, 0, this.execs)
      }
    } else if (r < 0.85) {
      const side = sm.book.side(isBuy)
      const best = side.bestPrice()
      if (best > 0) {
        const off = rng.int(0, 14)
        const price = isBuy ? best - off * tick : best + off * tick
        if (price > 0) {
          const zero = off > 0 && rng.next() < 0.15
          side.setAnon(price, zero ? 0 : this.randomQty(sm, rng, 2))
          this.market.commit(sm)
        }
      }
    } else if (r < 0.95) {
      const bb = sm.book.bids.bestPrice()
      const ba = sm.book.asks.bestPrice()
      if (bb > 0 && ba > 0 && ba - bb > tick) {
        const price = isBuy ? bb + tick : ba - tick
        sm.book.side(isBuy).setAnon(price, this.randomQty(sm, rng, 1))
        this.market.commit(sm)
      }
    }
    this.refill(sm, rng)
  }

  private refill(sm: SymbolMarket, rng: Rng): void {
    const tick = sm.spec.tickSize
    for (let k = 0; k < 2; k++) {
      const isBid = k === 0
      const side = sm.book.side(isBid)
      let guard = 0
      while (side.prices.length < MIN_LEVELS && guard++ < 40) {
        let price: number
        if (side.prices.length === 0) {
          const other = sm.book.side(!isBid).bestPrice()
          const ref = other > 0 ? other : sm.stats.last
          price = isBid ? ref - tick : ref + tick
        } else {
          const worst = side.prices[side.prices.length - 1]!
          price = isBid ? worst - tick : worst + tick
        }
        if (price <= 0) break
        side.setAnon(price, this.randomQty(sm, rng, 2))
      }
      this.market.commit(sm)
    }
  }
}
