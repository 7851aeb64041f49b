import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualScheduler, timerScheduler } from '../../../src/book/scheduler.js'

test('ManualScheduler runs due tasks in time order inside advanceTo, never early', () => {
  const s = new ManualScheduler(1000)
  const ran: string[] = []
  s.schedule(50, () => ran.push('b'))
  s.schedule(10, () => ran.push('a'))
  const c = s.schedule(20, () => ran.push('cancelled'))
  s.schedule(50, () => ran.push('b2'))
  c.cancel()
  s.advanceTo(1009)
  assert.deepEqual(ran, [])
  s.advanceTo(1050)
  assert.deepEqual(ran, ['a', 'b', 'b2'], 'equal due times keep scheduling order')
  assert.equal(s.now(), 1050)
  assert.equal(s.pending, 0)
})

test('ManualScheduler: a task scheduled by a task runs in the same advance when due, at its own time', () => {
  const s = new ManualScheduler()
  const at: number[] = []
  s.schedule(10, () => {
    at.push(s.now())
    s.schedule(5, () => at.push(s.now()))
  })
  s.advanceBy(100)
  assert.deepEqual(at, [10, 15])
  assert.equal(s.now(), 100)
  s.advanceTo(50)
  assert.equal(s.now(), 100, 'time never goes backwards')
})

test('timerScheduler tasks can be cancelled', () => {
  let ran = false
  const h = timerScheduler.schedule(1, () => {
    ran = true
  })
  h.cancel()
  assert.equal(ran, false)
  assert.equal(typeof timerScheduler.now(), 'number')
})
