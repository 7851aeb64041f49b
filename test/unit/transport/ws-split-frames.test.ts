/**
 * Frames split across TCP writes at every offset still arrive intact (house
 * style 2.13; ws "spanning multiple writes", undici server-fuzz-split-data).
 * The server is a raw net server speaking RFC 6455 by hand, so the split
 * points are ours, not a library's.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setImmediate as tick } from 'node:timers/promises'
import type net from 'node:net'
import { connectWs } from '../../../src/transport/ws-connection.js'
import { TRANSPORTS } from './transports.js'
import { eventually } from '../../helpers/eventually.js'
import { rawUpgrade, serverFrame, startRawServer } from './servers.js'

function textPayload(len: number, seed: number): Buffer {
  const b = Buffer.alloc(len)
  for (let i = 0; i < len; i++) b[i] = 97 + ((i * 7 + seed) % 26)
  return b
}

for (const transport of TRANSPORTS) {
  test(`[${transport}] frames split at every offset (7-bit, 16-bit and 64-bit lengths, a ping between) arrive intact and in order`, async () => {
    // Stream A: small frames, every split offset. Stream B: one 64-bit-length frame, offsets in and around its header.
    const smallPayloads = [textPayload(1, 1), textPayload(125, 2), textPayload(126, 3), textPayload(300, 4)]
    const streamA = Buffer.concat([
      serverFrame(1, smallPayloads[0]!),
      serverFrame(1, smallPayloads[1]!),
      serverFrame(9, Buffer.from('pp')), // a ping in the middle
      serverFrame(1, smallPayloads[2]!),
      serverFrame(2, smallPayloads[3]!), // binary
    ])
    const bigPayload = textPayload(70_000, 5)
    const streamB = serverFrame(1, bigPayload)
    const offsetsA: number[] = []
    for (let k = 1; k < streamA.length; k++) offsetsA.push(k)
    const offsetsB = [1, 2, 3, 5, 9, 10, 11, 100, 65_546, streamB.length - 1]

    let socket: net.Socket | null = null
    const server = await startRawServer(rawUpgrade((s) => (socket = s)))
    const got: Array<{ text: string; binary: boolean }> = []
    const conn = await connectWs(server.url, { transport, onFrame: (f) => got.push({ text: f.data!.toString('latin1'), binary: f.isBinary }) })
    try {
      await eventually(() => socket !== null)
      const s = socket!
      for (const k of offsetsA) {
        s.write(streamA.subarray(0, k))
        await tick()
        s.write(streamA.subarray(k))
      }
      for (const k of offsetsB) {
        s.write(streamB.subarray(0, k))
        await tick()
        s.write(streamB.subarray(k))
      }
      // and one frame byte by byte
      const tiny = serverFrame(1, Buffer.from('byte-by-byte'))
      for (let i = 0; i < tiny.length; i++) {
        s.write(tiny.subarray(i, i + 1))
        await tick()
      }
      const expected = offsetsA.length * 4 + offsetsB.length + 1
      await eventually(() => got.length === expected, 15_000)
      let i = 0
      for (let r = 0; r < offsetsA.length; r++) {
        for (let j = 0; j < 4; j++) {
          assert.equal(got[i]!.text, smallPayloads[j]!.toString('latin1'), `round ${r} (split at ${offsetsA[r]}), frame ${j}`)
          assert.equal(got[i]!.binary, j === 3)
          i++
        }
      }
      for (let r = 0; r < offsetsB.length; r++) {
        assert.equal(got[i]!.text.length, bigPayload.length)
        assert.ok(got[i]!.text === bigPayload.toString('latin1'), `big frame split at ${offsetsB[r]}`)
        i++
      }
      assert.equal(got[i]!.text, 'byte-by-byte')
      assert.equal(conn.stats().pingsReceived, offsetsA.length)
      await eventually(() => conn.stats().pongsSent === offsetsA.length)
    } finally {
      conn.terminate()
      await server.close()
    }
  })
}
