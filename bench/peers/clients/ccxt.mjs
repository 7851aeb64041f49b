/**
 * Peer: ccxt (4.x, pro bundled) — the `watchTrades` loop a ccxt user writes.
 * Pointed at the simulator by overriding base URLs only: urls.api.public
 * (exchangeInfo for loadMarkets) and urls.api.ws.spot. ccxt appends
 * "/<stream index>" to the ws base (wss://stream.binance.com:9443/ws/0), a
 * path Binance accepts but tickflow's simulator refuses as an unknown stream
 * name, so the ws base carries a query ("…/ws?ccxt=") that turns the suffix
 * into a query value; ccxt then SUBSCRIBEs as it does against Binance.
 * ccxt requires `loadHttpProxyAgent()` before using a ws:// (non-TLS) URL.
 * fetchMarkets is limited to spot (the simulator serves /api/v3 only).
 * The stamp is the unified trade's `timestamp` (the frame's T).
 */
import ccxt from 'ccxt'
import { ClientMeter } from '../../../dist/bench/peers/client-protocol.js'

const meter = new ClientMeter('ccxt')
const ex = new ccxt.pro.binance({ options: { fetchMarkets: { types: ['spot'] }, fetchCurrencies: false } })
ex.urls.api.public = `${process.env.SIM_REST}/api/v3`
ex.urls.api.ws.spot = `${process.env.SIM_WS}/ws?ccxt=`
let running = true
meter.onExit = async () => {
  running = false
  await ex.close()
}
// ccxt needs this once for plain ws:// URLs (its own error message says so).
await ex.loadHttpProxyAgent()
await ex.loadMarkets()
let first = true
const loop = async () => {
  while (running) {
    const p = ex.watchTrades('BTC/USDT')
    if (first) {
      first = false
      // watchTrades resolves on the first trade; the SUBSCRIBE has been sent once the socket is open.
      setTimeout(() => meter.ready(), 200)
    }
    const trades = await p
    for (let i = 0; i < trades.length; i++) {
      if (meter.tick()) meter.record(trades[i].timestamp)
    }
  }
}
loop().catch((err) => {
  if (running) {
    process.stderr.write(`ccxt: ${err && err.stack ? err.stack : String(err)}\n`)
    process.exit(1)
  }
})
