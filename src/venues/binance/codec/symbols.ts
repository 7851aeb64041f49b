/**
 * Venue symbol -> instrument id, keyed by the symbol's bytes, so the fast path
 * resolves a symbol straight from the frame without making a string.
 *
 * Open addressing with linear probing over a power-of-two slot array; keys
 * live in one byte arena. Filled at subscribe time (cold), read per frame
 * (hot: no allocation). The hash is 32-bit FNV-1a, which the fast path
 * computes while it scans the string (`fnvStep`).
 */

export const FNV_OFFSET = 0x811c9dc5 | 0
const FNV_PRIME = 16777619

/** One FNV-1a step (int32 arithmetic, no allocation). */
export function fnvStep(h: number, byte: number): number {
  return Math.imul(h ^ byte, FNV_PRIME)
}

export function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let h = FNV_OFFSET
  for (let i = start; i < end; i++) h = fnvStep(h, buf[i]!)
  return h
}

export class SymbolTable {
  private arena: Uint8Array = new Uint8Array(256)
  private arenaUsed = 0
  /** slot -> entry index + 1 (0 = empty) */
  private slots: Int32Array = new Int32Array(64)
  private mask = 63
  private entryOffset: Int32Array = new Int32Array(32)
  private entryLength: Int32Array = new Int32Array(32)
  private entryHash: Int32Array = new Int32Array(32)
  private entryId: Int32Array = new Int32Array(32)
  private count = 0
  /** bumped by every add(): caches in front of lookup() compare it */
  version = 0

  get size(): number {
    return this.count
  }

  /** Adds (or re-points) a key. Cold path. */
  add(key: Uint8Array, id: number): void {
    this.version++
    const h = hashBytes(key, 0, key.length)
    const existing = this.findEntry(key, 0, key.length, h)
    if (existing >= 0) {
      this.entryId[existing] = id
      return
    }
    if ((this.count + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2)
    if (this.count >= this.entryId.length) this.growEntries()
    while (this.arenaUsed + key.length > this.arena.length) {
      const a = new Uint8Array(this.arena.length * 2)
      a.set(this.arena)
      this.arena = a
    }
    const e = this.count++
    this.arena.set(key, this.arenaUsed)
    this.entryOffset[e] = this.arenaUsed
    this.entryLength[e] = key.length
    this.entryHash[e] = h
    this.entryId[e] = id
    this.arenaUsed += key.length
    this.insertSlot(e)
  }

  /** The id of the key buf[start, end) whose FNV-1a hash is `h`, or 0. Hot path. */
  lookup(buf: Uint8Array, start: number, end: number, h: number): number {
    const e = this.findEntry(buf, start, end, h)
    return e < 0 ? 0 : this.entryId[e]!
  }

  private findEntry(buf: Uint8Array, start: number, end: number, h: number): number {
    const len = end - start
    const slots = this.slots
    const mask = this.mask
    let i = h & mask
    for (;;) {
      const s = slots[i]!
      if (s === 0) return -1
      const e = s - 1
      if (this.entryHash[e] === h && this.entryLength[e] === len) {
        const arena = this.arena
        const off = this.entryOffset[e]!
        let k = 0
        while (k < len && arena[off + k] === buf[start + k]) k++
        if (k === len) return e
      }
      i = (i + 1) & mask
    }
  }

  private insertSlot(e: number): void {
    let i = this.entryHash[e]! & this.mask
    while (this.slots[i] !== 0) i = (i + 1) & this.mask
    this.slots[i] = e + 1
  }

  private rehash(n: number): void {
    this.slots = new Int32Array(n)
    this.mask = n - 1
    for (let e = 0; e < this.count; e++) this.insertSlot(e)
  }

  private growEntries(): void {
    const n = this.entryId.length * 2
    const grow = (a: Int32Array): Int32Array => {
      const b = new Int32Array(n)
      b.set(a)
      return b
    }
    this.entryOffset = grow(this.entryOffset)
    this.entryLength = grow(this.entryLength)
    this.entryHash = grow(this.entryHash)
    this.entryId = grow(this.entryId)
  }
}
