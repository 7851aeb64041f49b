/**
 * Clocks. Timestamps are numbers (house style 2.5 rule 10): epoch
 * microseconds for event times, monotonic microseconds for latencies.
 *
 * Every clock read on Node 20 costs ~40 ns and allocates a 16-byte boxed
 * double once its value is kept (node-performance.md §5.1), so the hot path
 * reads the clock once per frame and copies the value into existing fields.
 * `npm run bench -- clock` compares these with `process.hrtime.bigint()`.
 */

const ORIGIN_MS = performance.timeOrigin

/** Monotonic microseconds since process start (fractional). For durations only. */
export function monoUs(): number {
  return performance.now() * 1000
}

/** Wall-clock epoch microseconds (integer), monotonic within the process. */
export function epochUs(): number {
  return Math.floor((ORIGIN_MS + performance.now()) * 1000)
}

/** Wall-clock epoch milliseconds (integer). */
export function epochMs(): number {
  return Math.floor(ORIGIN_MS + performance.now())
}

/** CLOCK_MONOTONIC nanoseconds as a BigInt: comparable across processes on one host (benchmarks). */
export function monoNs(): bigint {
  return process.hrtime.bigint()
}

/** A clock a component is given, so replays and tests can drive time. */
export interface Clock {
  /** epoch microseconds */
  nowUs(): number
}

/** The real clock. */
export const systemClock: Clock = { nowUs: epochUs }

/** A clock that only moves when told to (replay, tests). */
export class ManualClock implements Clock {
  private us: number
  constructor(startUs = 0) {
    this.us = startUs
  }
  nowUs(): number {
    return this.us
  }
  set(us: number): void {
    this.us = us
  }
  advance(us: number): void {
    this.us += us
  }
}
