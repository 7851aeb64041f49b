/**
 * A FIFO on an array with a moving head, trimmed when empty or when the dead
 * prefix dominates. For cold-path queues (readers, writes waiting for the
 * limiter); bounded by its users. Not for per-frame use (house style 2.5
 * rule 6: the hot path uses no growing queues).
 */
export class Fifo<T> {
  private items: Array<T | null> = []
  private head = 0
  get length(): number {
    return this.items.length - this.head
  }
  push(x: T): void {
    this.items.push(x)
  }
  peek(): T | null {
    return this.head < this.items.length ? this.items[this.head]! : null
  }
  shift(): T | null {
    if (this.head >= this.items.length) return null
    const x = this.items[this.head]!
    this.items[this.head++] = null
    if (this.head === this.items.length) {
      this.items = []
      this.head = 0
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return x
  }
  remove(x: T): boolean {
    const i = this.items.indexOf(x, this.head)
    if (i < 0) return false
    this.items.splice(i, 1)
    if (this.head === this.items.length) {
      this.items = []
      this.head = 0
    }
    return true
  }
  drain(): T[] {
    const out = this.items.slice(this.head) as T[]
    this.items = []
    this.head = 0
    return out
  }
}
