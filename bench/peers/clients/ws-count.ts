/**
 * Floor 1: a bare `ws` client (the same ws tickflow uses) that only counts
 * frames. It never parses; for the 1-in-(mask+1) sampled frames it reads the
 * stamp straight from the bytes (client-protocol.ts stampFromBytes). Same
 * combined-stream URL as tickflow's feed, so the same bytes per message.
 */
import WebSocket from 'ws'
import { ClientMeter, stampFromBytes } from '../client-protocol.js'

const meter = new ClientMeter('ws-count')
const ws = new WebSocket(`${process.env.SIM_WS}/stream?streams=btcusdt@trade`, { perMessageDeflate: false })
ws.on('message', (data: Buffer) => {
  if (meter.tick()) meter.record(stampFromBytes(data))
})
ws.once('open', () => meter.ready())
ws.on('error', (err) => {
  process.stderr.write(`ws-count: ${err.message}\n`)
  process.exit(1)
})
meter.onExit = () => {
  ws.terminate()
}
