/**
 * tickflow's transport alone: a WsConnection on the raw RFC 6455 client
 * (src/transport/raw-ws.ts), configured as the Binance feed configures it
 * (hot-path onFrame, no transport UTF-8 pass: the decoder checks), that only
 * counts frames. It is the transport rung of tickflow's stage breakdown
 * (socket → frame), to compare with the `ws` count-only floor. For the
 * 1-in-(mask+1) sampled frames it reads the stamp from the bytes, like the
 * floor.
 */
import { connectWs } from '../../../src/transport/ws-connection.js'
import { ClientMeter, stampFromBytes } from '../client-protocol.js'

const meter = new ClientMeter('raw-count')
const conn = await connectWs(`${process.env.SIM_WS}/stream?streams=btcusdt@trade`, {
  transport: 'raw',
  skipUtf8Validation: true,
  onFrame: (f) => {
    if (meter.tick()) meter.record(stampFromBytes(f.data!))
  },
})
meter.onExit = () => {
  conn.terminate()
}
meter.ready()
