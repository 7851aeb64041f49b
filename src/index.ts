/**
 * tickflow's public API (`import … from 'tickflow'`).
 */
export { ErrorCode, TickflowError, isTickflowError, describeError } from './core/errors.js'
export type { ErrorCodeName } from './core/errors.js'
export {
  Decimal,
  Rounding,
  MAX_SCALE,
  MAX_MANTISSA,
  parseDecimal,
  parseDecimalBytes,
  lastDecimalStatus,
  DecimalStatus,
  formatDecimal,
  stepScale,
  addDecimals,
  subDecimals,
  mulInt,
  mulDecimals,
  compareDecimals,
  compareScaled,
  roundToStep,
  isOnStep,
  rescale,
  toFloat,
} from './core/fixed-point.js'
export type { RoundingMode } from './core/fixed-point.js'
export { BoundedPool, PoolManager, PooledObject } from './core/pool.js'
export type { Poolable, BoundedPoolOptions, AcquireOptions, PoolStats, ShutdownReport } from './core/pool.js'
export { epochUs, epochMs, monoUs, monoNs, systemClock, ManualClock } from './core/clock.js'
export type { Clock } from './core/clock.js'
export { InstrumentRegistry, InstrumentStatus, splitSymbol } from './model/instrument.js'
export type { InstrumentSpec } from './model/instrument.js'
export { CanonicalEvent, MergedEvent, EventKind, EVENT_KIND_NAMES, Side, BookInvalidReason } from './model/events.js'
export type { ReadonlyCanonicalEvent } from './model/events.js'
export { ProviderRaw, RawType } from './model/provider-raw.js'
export {
  OrderRequest,
  ExecReport,
  OrderSide,
  OrderType,
  TimeInForce,
  OrderStatus,
  ExecType,
  OrderAction,
  ORDER_STATUS_NAMES,
  EXEC_TYPE_NAMES,
} from './model/orders.js'
export { WsFrame } from './transport/ws-frame.js'
export { createHotPools, DEFAULT_POOLS, POOLED_TYPES } from './runtime/pools.js'
export type { HotPools, PoolsConfig, PoolTypeConfig, PooledTypeName } from './runtime/pools.js'
export type { ReadonlyMergedEvent } from './model/events.js'
export type { Logger } from './core/logger.js'
export { silentLogger } from './core/logger.js'
// strategies
export type {
  Strategy,
  StrategyContext,
  OrderIntent,
  ReadonlyBbo,
  ReadonlyExecReport,
  MarketCallback,
  StrategyHookName,
} from './strategy/strategy.js'
export { STRATEGY_HOOKS } from './strategy/strategy.js'
export { StrategyMetrics } from './strategy/metrics.js'
export { loadStrategy } from './strategy/loader.js'
export type { LoadedStrategy, LoadStrategyOptions } from './strategy/loader.js'
export { StrategyHost } from './strategy/host.js'
// pipeline
export { Merger } from './pipeline/merger.js'
export type { MergerOptions, MergerStats, MergeOrdering } from './pipeline/merger.js'
export { Dispatcher } from './pipeline/dispatcher.js'
export type { DispatcherOptions, DispatcherStats, SubscriberStats } from './pipeline/dispatcher.js'
export { SubscriberQueue, ExecReportQueue, OverflowPolicy } from './pipeline/subscriber-queue.js'
// order books
export { OrderBook } from './book/order-book.js'
export type { ReadonlyOrderBook } from './book/order-book.js'
// run recordings (docs/recording.md)
export { replayRecording } from './runtime/recording-replay.js'
export type { ReplayRecordingOptions, ReplayStrategySpec, RecordingReplayReport, RecordingMismatch } from './runtime/recording-replay.js'
export { RunRecorder } from './runtime/recorder.js'
export type { RunRecorderOptions } from './runtime/recorder.js'
export { readRecording, isRecordingFile, RecordingReader } from './replay/recording-reader.js'
export type { RecordedEvent, RecordingHeader, RecordingEnd, ReadRecordingOptions } from './replay/recording-reader.js'
export { RecordingWriter } from './replay/recording-writer.js'
export type { RecordingWriterOptions, RecordingWriterStats, RecordingSummary } from './replay/recording-writer.js'
