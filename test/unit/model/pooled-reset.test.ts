/**
 * One reflection-based test over all six pooled types: every own field is set
 * to a non-default value of the same type, `reset()` must bring the object back
 * to what a fresh instance looks like. A field added later and forgotten in
 * `reset()` fails here without anyone writing a new test. The same walk checks
 * that `clone()` copies every field and shares no mutable array.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CanonicalEvent, MergedEvent } from '../../../src/model/events.js'
import { ProviderRaw } from '../../../src/model/provider-raw.js'
import { ExecReport, OrderRequest } from '../../../src/model/orders.js'
import { WsFrame } from '../../../src/transport/ws-frame.js'
import type { Poolable } from '../../../src/core/pool.js'

type Pooled = Poolable & { clone(): Pooled } & Record<string, unknown>
const TYPES: Array<[string, () => Pooled]> = [
  ['WsFrame', () => new WsFrame() as unknown as Pooled],
  ['ProviderRaw', () => new ProviderRaw() as unknown as Pooled],
  ['CanonicalEvent', () => new CanonicalEvent() as unknown as Pooled],
  ['MergedEvent', () => new MergedEvent() as unknown as Pooled],
  ['OrderRequest', () => new OrderRequest() as unknown as Pooled],
  ['ExecReport', () => new ExecReport() as unknown as Pooled],
]
const POOL_FIELDS = new Set(['poolId', 'poolSlot', 'poolGen'])
/** fields whose value is another object: a value of "the same type" for them */
const OBJECT_VALUES: Record<string, () => unknown> = {
  data: () => Buffer.from('payload'),
  // WsFrame: the message's buffer and its lazily made view
  buf: () => Buffer.from('payload'),
  view: () => Buffer.from('payload'),
  event: () => {
    const e = new CanonicalEvent()
    e.kind = 1
    e.priceM = 5
    e.pushBid(1, 2)
    return e
  },
}

function isTyped(v: unknown): v is Float64Array | Int32Array | Uint8Array {
  return ArrayBuffer.isView(v) && !(v instanceof DataView) && !Buffer.isBuffer(v)
}

/** Sets every own field to a different value of the same type; returns the field names touched. */
function scribble(obj: Pooled): string[] {
  const touched: string[] = []
  for (const key of Object.keys(obj)) {
    if (POOL_FIELDS.has(key)) continue
    const v = obj[key]
    if (typeof v === 'number') obj[key] = v + 7
    else if (typeof v === 'string') obj[key] = v + 'changed'
    else if (typeof v === 'boolean') obj[key] = !v
    else if (isTyped(v)) {
      const bigger = new (v.constructor as new (n: number) => Float64Array)(v.length * 2 + 3)
      // the used prefix only: slots past the level count are always zero
      bigger.fill(9, 0, 5)
      obj[key] = bigger
    } else if (v === null && key in OBJECT_VALUES) obj[key] = OBJECT_VALUES[key]!()
    else assert.fail(`${obj.constructor.name}.${key}: no scribble rule for ${typeof v} (${String(v)}); add one`)
    touched.push(key)
  }
  return touched
}

/** Compares a reset object with a fresh one; typed arrays may keep a larger capacity but must be zeroed. */
function assertLikeFresh(name: string, got: Pooled, fresh: Pooled): void {
  assert.deepEqual(Object.keys(got), Object.keys(fresh), `${name}: field set or order changed`)
  for (const key of Object.keys(fresh)) {
    if (POOL_FIELDS.has(key)) continue
    const a = got[key]
    const b = fresh[key]
    if (isTyped(b)) {
      assert.ok(isTyped(a) && a.constructor === b.constructor, `${name}.${key}: typed array type changed`)
      assert.ok(a.every((x: number) => x === 0), `${name}.${key}: not cleared by reset()`)
      continue
    }
    assert.deepEqual(a, b, `${name}.${key}: reset() left ${String(a)}, fresh has ${String(b)}`)
  }
}

for (const [name, make] of TYPES) {
  test(`${name}: reset() restores every field to its constructor value`, () => {
    const obj = make()
    const touched = scribble(obj)
    assert.ok(touched.length > 0)
    // "counts" must describe the scribbled arrays for reset() to clear their used prefix
    for (const key of touched) {
      if (key.endsWith('Count')) obj[key] = 5
    }
    obj.reset()
    assertLikeFresh(name, obj, make())
  })

  test(`${name}: clone() copies every field and shares no mutable array`, () => {
    const obj = make()
    scribble(obj)
    for (const key of Object.keys(obj)) if (key.endsWith('Count')) obj[key] = 3
    const copy = obj.clone() as Pooled
    for (const key of Object.keys(obj)) {
      if (POOL_FIELDS.has(key)) continue
      const a = obj[key]
      const b = copy[key]
      if (isTyped(a)) {
        assert.notEqual(a, b, `${name}.${key} shared with the clone`)
        assert.ok(isTyped(b))
        const n = Math.min(3, a.length)
        for (let i = 0; i < n; i++) assert.equal(b[i], a[i], `${name}.${key}[${i}]`)
      } else if (a !== null && typeof a === 'object') {
        assert.notEqual(a, b, `${name}.${key} shared with the clone`)
        assert.deepEqual(Buffer.isBuffer(a) ? a : (a as Pooled).constructor, Buffer.isBuffer(b) ? b : (b as Pooled).constructor)
      } else assert.equal(b, a, `${name}.${key} not copied`)
    }
  })
}

test('the reflection test covers the six pooled types', () => {
  assert.deepEqual(
    TYPES.map(([n]) => n),
    ['WsFrame', 'ProviderRaw', 'CanonicalEvent', 'MergedEvent', 'OrderRequest', 'ExecReport'],
  )
})
