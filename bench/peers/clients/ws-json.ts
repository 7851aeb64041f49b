/**
 * Floor 2: a bare `ws` client + JSON.parse of every frame (the generic way
 * to read a Binance stream), on the same combined-stream URL as tickflow's
 * feed (/stream?streams=…, so the same bytes per message). The stamp is the
 * parsed trade's E.
 */
import WebSocket from 'ws'
import { ClientMeter } from '../client-protocol.js'

interface Combined {
  stream: string
  data: { E: number; p: string; q: string }
}
const meter = new ClientMeter('ws-json')
const ws = new WebSocket(`${process.env.SIM_WS}/stream?streams=btcusdt@trade`, { perMessageDeflate: false })
ws.on('message', (data: Buffer) => {
  const m = JSON.parse(data.toString()) as Combined
  if (meter.tick()) meter.record(m.data.E)
})
ws.once('open', () => meter.ready())
ws.on('error', (err) => {
  process.stderr.write(`ws-json: ${err.message}\n`)
  process.exit(1)
})
meter.onExit = () => {
  ws.terminate()
}
