/**
 * The merger's bounded reorder buffer for event-time ordering: a binary
 * min-heap of leased MergedEvents keyed by (event time, seq). The seq
 * tie-break makes the order total and stable (equal times leave in arrival
 * order), so a replay of the same arrivals releases the same sequence.
 *
 *   heap[]    MergedEvent | null, `capacity` entries pushed at construction (PACKED)
 *   keys      Float64Array: the event time of heap[i], kept beside it so that
 *             sift compares read a typed array, not a pointer chase
 *
 * push/pop are O(log n), allocation-free. Capacity is fixed; the merger
 * decides what to do when it is full (force the oldest out).
 */
import type { MergedEvent } from '../model/events.js'

export class ReorderBuffer {
  readonly capacity: number
  private readonly heap: Array<MergedEvent | null> = []
  private readonly keys: Float64Array
  size = 0

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 2 ** 22) {
      throw new RangeError(`reorder buffer capacity must be an integer in 1..2^22, got ${capacity}`)
    }
    this.capacity = capacity
    for (let i = 0; i < capacity; i++) this.heap.push(null)
    this.keys = new Float64Array(capacity)
  }

  /** Event time of the earliest held event (call only when size > 0). */
  peekKey(): number {
    return this.keys[0]!
  }

  /** Adds `m` keyed by `key` (call only when size < capacity). */
  push(m: MergedEvent, key: number): void {
    let i = this.size++
    const heap = this.heap
    const keys = this.keys
    while (i > 0) {
      const p = (i - 1) >> 1
      const pk = keys[p]!
      if (pk < key || (pk === key && heap[p]!.seq < m.seq)) break
      heap[i] = heap[p]!
      keys[i] = pk
      i = p
    }
    heap[i] = m
    keys[i] = key
  }

  /** Removes and returns the earliest event (call only when size > 0). */
  pop(): MergedEvent {
    const heap = this.heap
    const keys = this.keys
    const top = heap[0]!
    const n = --this.size
    if (n === 0) {
      heap[0] = null
      return top
    }
    const last = heap[n]!
    const lastKey = keys[n]!
    heap[n] = null
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      let c = l
      if (r < n && (keys[r]! < keys[l]! || (keys[r] === keys[l] && heap[r]!.seq < heap[l]!.seq))) c = r
      const ck = keys[c]!
      if (lastKey < ck || (lastKey === ck && last.seq < heap[c]!.seq)) break
      heap[i] = heap[c]!
      keys[i] = ck
      i = c
    }
    heap[i] = last
    keys[i] = lastKey
    return top
  }
}
