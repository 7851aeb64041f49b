import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CLIENT_ORDER_ID_RE, OrderIdGenerator } from '../../../src/orders/order-ids.js'
import { ErrorCode, isTickflowError } from '../../../src/core/errors.js'

test('ids are legal under both Binance patterns, at most 36 chars, and unique within a run', () => {
  const g = new OrderIdGenerator('mm_01', 1_764_000_000)
  const seen = new Set<string>()
  for (let i = 0; i < 10_000; i++) {
    const id = g.next()
    assert.match(id, CLIENT_ORDER_ID_RE)
    assert.match(id, /^[.A-Z:/a-z0-9_-]{1,36}$/)
    assert.match(id, /^[a-zA-Z0-9-_]{1,36}$/)
    assert.ok(!seen.has(id))
    seen.add(id)
  }
  const worst = new OrderIdGenerator('abcdefgh', Number.MAX_SAFE_INTEGER)
  ;(worst as unknown as { counter: number }).counter = 36 ** 12 - 2
  assert.ok(worst.next().length <= 36)
})

test('different epochs never collide (restart with the clock set back)', () => {
  const a = new OrderIdGenerator('tf', 100)
  const b = new OrderIdGenerator('tf', 101)
  const ids = new Set<string>()
  for (let i = 0; i < 2000; i++) {
    ids.add(a.next())
    ids.add(b.next())
  }
  assert.equal(ids.size, 4000)
})

test('an illegal prefix is a coded configuration error', () => {
  assert.throws(() => new OrderIdGenerator('bad.prefix', 1), (e) => isTickflowError(e, ErrorCode.CONFIG_INVALID))
  assert.throws(() => new OrderIdGenerator('waytoolongprefix', 1), (e) => isTickflowError(e, ErrorCode.CONFIG_INVALID))
})
