/** Shared fixtures for the pipeline tests: a registry with two venues, debug pools, event builders. */
import { BoundedPool } from '../../../src/core/pool.js'
import { CanonicalEvent, EventKind, MergedEvent } from '../../../src/model/events.js'
import { InstrumentRegistry, InstrumentStatus, type InstrumentSpec } from '../../../src/model/instrument.js'
import type { MergedSink } from '../../../src/pipeline/dispatcher.js'

function spec(venue: string, symbol: string, base: string, quote: string, priceScale: number, qtyScale: number): InstrumentSpec {
  return {
    venue,
    symbol,
    base,
    quote,
    priceScale,
    qtyScale,
    tickSize: 1,
    stepSize: 1,
    minQty: 0,
    maxQty: 0,
    minNotional: 0,
    maxNotional: 0,
    notionalScale: 8,
    status: InstrumentStatus.Trading,
  }
}

export interface Fixture {
  registry: InstrumentRegistry
  /** venue ids */
  spot: number
  usdm: number
  /** instrument ids: BTCUSDT on spot (scales 2/5) and usdm (scales 1/3), ETHUSDT on spot (2/4) */
  spotBtc: number
  usdmBtc: number
  spotEth: number
  /** canonical ids */
  btc: number
  eth: number
  canonicalPool: BoundedPool<CanonicalEvent>
  mergedPool: BoundedPool<MergedEvent>
}

export function fixture(capacity = 256): Fixture {
  const registry = new InstrumentRegistry()
  const spotBtc = registry.define(spec('spot', 'BTCUSDT', 'BTC', 'USDT', 2, 5))
  const usdmBtc = registry.define(spec('usdm', 'BTCUSDT', 'BTC', 'USDT', 1, 3))
  const spotEth = registry.define(spec('spot', 'ETHUSDT', 'ETH', 'USDT', 2, 4))
  return {
    registry,
    spot: registry.venueId('spot'),
    usdm: registry.venueId('usdm'),
    spotBtc,
    usdmBtc,
    spotEth,
    btc: registry.canonicalOf(spotBtc),
    eth: registry.canonicalOf(spotEth),
    canonicalPool: new BoundedPool({ name: 'CanonicalEvent', capacity, create: () => new CanonicalEvent(), debug: true }),
    mergedPool: new BoundedPool({ name: 'MergedEvent', capacity, create: () => new MergedEvent(), debug: true }),
  }
}

function base(f: Fixture, kind: number, instrumentId: number, tsEventUs: number, tsRecvUs: number): CanonicalEvent {
  const ev = f.canonicalPool.tryAcquire()
  if (ev === null) throw new Error('test: CanonicalEvent pool exhausted')
  ev.kind = kind
  ev.instrumentId = instrumentId
  ev.venueId = f.registry.venueOfInstrument(instrumentId)
  ev.priceScale = f.registry.priceScales[instrumentId]!
  ev.qtyScale = f.registry.qtyScales[instrumentId]!
  ev.tsEventUs = tsEventUs
  ev.tsRecvUs = tsRecvUs
  return ev
}

export function trade(f: Fixture, instrumentId: number, venueSeq: number, tsEventUs = 1_000, tsRecvUs = tsEventUs): CanonicalEvent {
  const ev = base(f, EventKind.Trade, instrumentId, tsEventUs, tsRecvUs)
  ev.venueSeq = venueSeq
  ev.priceM = 6_000_000 + venueSeq
  ev.qtyM = 100 + venueSeq
  return ev
}

export function quote(
  f: Fixture,
  instrumentId: number,
  bidPxM: number,
  bidQtyM: number,
  askPxM: number,
  askQtyM: number,
  tsEventUs = 1_000,
  tsRecvUs = tsEventUs,
): CanonicalEvent {
  const ev = base(f, EventKind.Quote, instrumentId, tsEventUs, tsRecvUs)
  ev.bidPxM = bidPxM
  ev.bidQtyM = bidQtyM
  ev.askPxM = askPxM
  ev.askQtyM = askQtyM
  return ev
}

export function bookDelta(f: Fixture, instrumentId: number, levels: number, tsEventUs = 1_000): CanonicalEvent {
  const ev = base(f, EventKind.BookDelta, instrumentId, tsEventUs, tsEventUs)
  for (let i = 0; i < levels; i++) {
    ev.pushBid(6_000_000 - i, 10 + i)
    ev.pushAsk(6_000_001 + i, 20 + i)
  }
  return ev
}

export function status(f: Fixture, kind: number, instrumentId: number, tsEventUs = 0, tsRecvUs = 1_000): CanonicalEvent {
  return base(f, kind, instrumentId, tsEventUs, tsRecvUs)
}

/** What a test sink records of each published merged event (a deep copy). */
export interface Published {
  seq: number
  kind: number
  venueId: number
  instrumentId: number
  canonicalId: number
  sourceId: number
  late: boolean
  tsMergedUs: number
  event: CanonicalEvent
}

/** A sink that records copies and releases like the dispatcher does. */
export class RecordingSink implements MergedSink {
  readonly out: Published[] = []
  constructor(private readonly f: Fixture) {}
  publish(m: MergedEvent): void {
    this.out.push({
      seq: m.seq,
      kind: m.kind,
      venueId: m.venueId,
      instrumentId: m.instrumentId,
      canonicalId: m.canonicalId,
      sourceId: m.sourceId,
      late: m.late,
      tsMergedUs: m.tsMergedUs,
      event: m.event!.clone(),
    })
    const ev = m.event!
    this.f.mergedPool.release(m)
    this.f.canonicalPool.release(ev)
  }
  ofKind(kind: number): Published[] {
    return this.out.filter((p) => p.kind === kind)
  }
}
