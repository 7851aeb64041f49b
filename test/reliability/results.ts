/**
 * The reliability suite's figures: every test file collects rows (one per
 * case that passed: what was tried, what it survived, the counters that
 * prove it, and what was lost) and writes them, when its tests are done, to
 * `<dir>/<file>.json`. `node scripts/reliability-report.mjs` turns that
 * directory into docs/reliability.md.
 *
 * Directory: $TICKFLOW_RELIABILITY_RESULTS, else dist/reliability-results
 * (one file per test file, so test files running in parallel never share one).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { REPO_ROOT } from '../helpers/paths.js'

export const RESULTS_DIR = process.env.TICKFLOW_RELIABILITY_RESULTS ?? path.join(REPO_ROOT, 'dist', 'reliability-results')

export type Figure = number | string | boolean

export interface ResultRow {
  /** the case, e.g. "disconnect mid-frame" */
  case: string
  /** what happened, in a few words ("reconnected, book resynced") */
  outcome: string
  /** measured figures and counters, by name */
  figures: Record<string, Figure>
  /** items lost (orders, fills, events not delivered nor reported); must be 0 */
  lost: number
}

export class Results {
  readonly rows: ResultRow[] = []

  /**
   * @param name file name (without .json)
   * @param section the report's section title
   * @param order position of the section in the report
   */
  constructor(
    readonly name: string,
    readonly section: string,
    readonly order: number,
  ) {}

  add(row: ResultRow): void {
    this.rows.push(row)
  }

  /** Writes the rows collected so far (call from `after()`). */
  write(): void {
    mkdirSync(RESULTS_DIR, { recursive: true })
    const body = {
      name: this.name,
      section: this.section,
      order: this.order,
      generatedAt: new Date().toISOString(),
      host: { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? '', platform: `${os.platform()} ${os.arch()}` },
      rows: this.rows,
    }
    writeFileSync(path.join(RESULTS_DIR, `${this.name}.json`), JSON.stringify(body, null, 2) + '\n')
  }
}

/** Least-squares slope of y over x (units of y per unit of x). */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length
  if (n < 2) return 0
  let sx = 0
  let sy = 0
  for (let i = 0; i < n; i++) {
    sx += xs[i]!
    sy += ys[i]!
  }
  const mx = sx / n
  const my = sy / n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my)
    den += (xs[i]! - mx) ** 2
  }
  return den === 0 ? 0 : num / den
}
