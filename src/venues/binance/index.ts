/**
 * The Binance venue package: what the runtime (and library users) import.
 *
 *   market data   BinanceMarketFeed (MarketSource) + endpoints, streams, instruments
 *   order entry   BinanceOrderGateway (VenueGateway), in ./orders
 *   shared        BinanceRestClient + WeightBudget (one per IP: pass the same to both sides)
 */
export { BinanceMarketFeed, FeedState } from './market-feed.js'
export type {
  BinanceMarketFeedOptions,
  BinanceStreamSelection,
  BinanceFeedTimings,
  BinanceFeedStats,
  FeedConnectionStats,
  FeedSymbolStats,
  FeedPools,
} from './market-feed.js'
export { DEFAULT_VENUE_NAMES, parseExchangeInfo, defineInstruments, symbolInfoFromJson, instrumentStatus } from './instruments.js'
export type { BinanceExchangeInfo, BinanceSymbolInfo, DefinedInstruments } from './instruments.js'
export { binanceEndpoints, customEndpoints, combinedStreamUrl, rawStreamUrl, groupByTier, usdmTier, streamKind, restApiPrefix, SPOT_MARKET_DATA_REST } from './urls.js'
export type { BinanceEndpoints, BinanceEnvironment, BinanceMarket, UsdmTier, StreamUrlOptions } from './urls.js'
export { SubscriptionManager, streamName, splitForConnections, isValidStreamName } from './subscriptions.js'
export type { StreamSpec, SubscriptionStats } from './subscriptions.js'
export { BinanceRestClient, WeightBudget, depthWeight } from './rest.js'
export type { RestClientOptions, RestResponse, RequestOptions, WeightBudgetOptions, WeightUsage } from './rest.js'
export { BinanceBookSync, BookSyncState, BOOK_SYNC_STATE_NAMES, BOOK_INVALID_REASON_NAMES } from './book-sync.js'
export type { BookSyncOptions, BookSyncStats, BookSyncListener, SnapshotBudget } from './book-sync.js'
export { TradeGapTracker, TradeCheck } from './trade-gaps.js'
export type { TradeGapStats } from './trade-gaps.js'
export { BinanceNormalizer } from './normalize.js'
export { BinanceDecoder, DecodeStatus } from './codec/decoder.js'
export type { BinanceDecoderOptions, BinanceDecoderStats } from './codec/decoder.js'
export { BinanceOrderGateway } from './orders/gateway.js'
export type { BinanceOrderGatewayOptions } from './orders/gateway.js'
