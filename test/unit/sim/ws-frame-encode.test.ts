/** encodeTextFrame (src/transport/ws-server.ts): RFC 6455 server frames at every length class, read back by `ws`. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { encodeTextFrame } from '../../../src/transport/ws-server.js'

function decode(f: Buffer): { fin: boolean; opcode: number; masked: boolean; payload: string } {
  const fin = (f[0]! & 0x80) !== 0
  const opcode = f[0]! & 0x0f
  const masked = (f[1]! & 0x80) !== 0
  let len = f[1]! & 0x7f
  let off = 2
  if (len === 126) {
    len = f.readUInt16BE(2)
    off = 4
  } else if (len === 127) {
    len = Number(f.readBigUInt64BE(2))
    off = 10
  }
  assert.equal(f.length, off + len)
  return { fin, opcode, masked, payload: f.subarray(off).toString('utf8') }
}

test('lengths 0, 125, 126, 65535, 65536 and UTF-8 payloads', () => {
  for (const n of [0, 1, 125, 126, 127, 65535, 65536, 200_000]) {
    const text = 'a'.repeat(n)
    const d = decode(encodeTextFrame(text))
    assert.deepEqual([d.fin, d.opcode, d.masked, d.payload.length], [true, 1, false, n])
  }
  assert.equal(decode(encodeTextFrame('€µ')).payload, '€µ')
  assert.equal(decode(encodeTextFrame(Buffer.from('{"x":1}'))).payload, '{"x":1}')
})
