/**
 * The engine's six hot-path pools, created from configuration. Each type has
 * its own capacity and its own pooling switch (the gradual-rollout / A-B
 * switch of the pools issue): `pooled: false` makes that type allocate fresh
 * objects through the same code path.
 */
import { BoundedPool, PoolManager } from '../core/pool.js'
import { CanonicalEvent, MergedEvent } from '../model/events.js'
import { ExecReport, OrderRequest } from '../model/orders.js'
import { ProviderRaw } from '../model/provider-raw.js'
import { WsFrame } from '../transport/ws-frame.js'

export const POOLED_TYPES = ['WsFrame', 'ProviderRaw', 'CanonicalEvent', 'MergedEvent', 'OrderRequest', 'ExecReport'] as const
export type PooledTypeName = (typeof POOLED_TYPES)[number]

export interface PoolTypeConfig {
  pooled: boolean
  capacity: number
}

export type PoolsConfig = Record<PooledTypeName, PoolTypeConfig>

/** Defaults: everything pooled. Capacities bound in-flight objects, not throughput. */
export const DEFAULT_POOLS: Readonly<PoolsConfig> = Object.freeze({
  WsFrame: { pooled: true, capacity: 1024 },
  ProviderRaw: { pooled: true, capacity: 1024 },
  CanonicalEvent: { pooled: true, capacity: 8192 },
  MergedEvent: { pooled: true, capacity: 8192 },
  OrderRequest: { pooled: true, capacity: 4096 },
  ExecReport: { pooled: true, capacity: 8192 },
})

export interface HotPools {
  manager: PoolManager
  wsFrame: BoundedPool<WsFrame>
  providerRaw: BoundedPool<ProviderRaw>
  canonicalEvent: BoundedPool<CanonicalEvent>
  mergedEvent: BoundedPool<MergedEvent>
  orderRequest: BoundedPool<OrderRequest>
  execReport: BoundedPool<ExecReport>
}

/** Creates the six pools in a (new or given) PoolManager. */
export function createHotPools(config: Partial<PoolsConfig> = {}, options: { debug?: boolean; manager?: PoolManager } = {}): HotPools {
  const manager = options.manager ?? new PoolManager()
  const cfg = (name: PooledTypeName): PoolTypeConfig => config[name] ?? DEFAULT_POOLS[name]
  const debug = options.debug === true
  return {
    manager,
    wsFrame: manager.create({ name: 'WsFrame', ...cfg('WsFrame'), debug, create: () => new WsFrame() }),
    providerRaw: manager.create({ name: 'ProviderRaw', ...cfg('ProviderRaw'), debug, create: () => new ProviderRaw() }),
    canonicalEvent: manager.create({ name: 'CanonicalEvent', ...cfg('CanonicalEvent'), debug, create: () => new CanonicalEvent() }),
    mergedEvent: manager.create({ name: 'MergedEvent', ...cfg('MergedEvent'), debug, create: () => new MergedEvent() }),
    orderRequest: manager.create({ name: 'OrderRequest', ...cfg('OrderRequest'), debug, create: () => new OrderRequest() }),
    execReport: manager.create({ name: 'ExecReport', ...cfg('ExecReport'), debug, create: () => new ExecReport() }),
  }
}
