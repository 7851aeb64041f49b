/**
 * Peer: the `binance` npm SDK's WebsocketClient (tiagosiebler/binance),
 * pointed at the simulator by its documented `wsUrl` option only (the SDK
 * appends /stream and SUBSCRIBEs, as it does against Binance). argv[2] ===
 * 'beautify' turns on its `beautify` option: user code then listens to
 * 'formattedMessage' (keys renamed, numbers converted) instead of 'message'.
 * The stamp is the trade's E (eventTime when beautified).
 */
import { WebsocketClient } from 'binance'
import { ClientMeter } from '../../../dist/bench/peers/client-protocol.js'

const beautify = process.argv[2] === 'beautify'
const meter = new ClientMeter(beautify ? 'binance-beautify' : 'binance')
const silent = { trace() {}, info() {}, error(...a) { process.stderr.write(`binance: ${a.map(String).join(' ')}\n`) } }
const client = new WebsocketClient({ wsUrl: process.env.SIM_WS, beautify }, silent)

if (beautify) {
  client.on('formattedMessage', (m) => {
    if (m.eventType !== 'trade') return
    if (meter.tick()) meter.record(m.eventTime)
  })
} else {
  client.on('message', (m) => {
    if (m.e !== 'trade') return
    if (meter.tick()) meter.record(m.E)
  })
}
client.on('response', () => undefined)
client.on('exception', (e) => process.stderr.write(`binance exception: ${JSON.stringify(e)}\n`))
await client.subscribeSpotTrades('BTCUSDT')
meter.ready()
meter.onExit = () => client.closeAll(false)
