/**
 * Peer: tardis-dev's real-time normalized trades (`streamNormalized` +
 * `normalizeTrades`), pointed at the simulator through the URL override the
 * library reads for every real-time feed: the WSS_URL_<EXCHANGE> environment
 * variable (realtimefeeds/realtimefeed.js getWebSocketUrl). The URL keeps the
 * library's own query (timeUnit=microsecond); tardis then SUBSCRIBEs as it
 * does against Binance. The stamp is the normalized trade's `timestamp`
 * (from the frame's T; below 1e15 it is taken as a millisecond Date, so
 * getTime() returns the stamp exactly).
 */
process.env.WSS_URL_BINANCE = `${process.env.SIM_WS}/stream?timeUnit=microsecond`
const { streamNormalized, normalizeTrades } = await import('tardis-dev')
const { ClientMeter } = await import('../../../dist/bench/peers/client-protocol.js')

const meter = new ClientMeter('tardis')
const messages = streamNormalized({ exchange: 'binance', symbols: ['btcusdt'] }, normalizeTrades)
meter.onExit = async () => {
  await messages.return(undefined)
}
setTimeout(() => meter.ready(), 200)
for await (const m of messages) {
  if (m.type !== 'trade') continue
  if (meter.tick()) meter.record(m.timestamp.getTime())
}
