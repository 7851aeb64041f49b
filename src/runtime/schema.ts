/**
 * A small validator for configuration files: every problem is reported with
 * the key path and what was expected (`venues[0].symbols: expected a list of
 * symbols, got "BTCUSDT"`), unknown keys are rejected, defaults are applied in
 * one place (the schema). Cold path only.
 */
import { ErrorCode, TickflowError } from '../core/errors.js'

export class Issues {
  readonly list: string[] = []
  add(path: string, message: string): void {
    this.list.push(`${path || '(root)'}: ${message}`)
  }
}

/** A checker returns the validated (and defaulted) value, or undefined after recording an issue. */
export type Check<T> = (value: unknown, path: string, issues: Issues) => T | undefined

export function describe(v: unknown): string {
  if (v === undefined) return 'nothing'
  if (v === null) return 'null'
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)
  if (Array.isArray(v)) return `a list of ${v.length}`
  if (typeof v === 'object') return 'a mapping'
  return `${typeof v} ${String(v)}`
}

export const str =
  (what = 'a string', pattern?: RegExp): Check<string> =>
  (v, path, issues) => {
    if (typeof v !== 'string' || v === '' || (pattern !== undefined && !pattern.test(v))) {
      issues.add(path, `expected ${what}, got ${describe(v)}`)
      return undefined
    }
    return v
  }

export const num =
  (what: string, opts: { min?: number; max?: number; integer?: boolean } = {}): Check<number> =>
  (v, path, issues) => {
    if (
      typeof v !== 'number' ||
      !Number.isFinite(v) ||
      (opts.integer === true && !Number.isInteger(v)) ||
      (opts.min !== undefined && v < opts.min) ||
      (opts.max !== undefined && v > opts.max)
    ) {
      issues.add(path, `expected ${what}, got ${describe(v)}`)
      return undefined
    }
    return v
  }

export const bool: Check<boolean> = (v, path, issues) => {
  if (typeof v !== 'boolean') {
    issues.add(path, `expected true or false, got ${describe(v)}`)
    return undefined
  }
  return v
}

export const oneOf =
  <T extends string>(values: readonly T[]): Check<T> =>
  (v, path, issues) => {
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      issues.add(path, `expected one of ${values.join(', ')}, got ${describe(v)}`)
      return undefined
    }
    return v as T
  }

/** A decimal written as a string (or a plain number literal in YAML), kept as a string for exact parsing. */
export const decimalText =
  (what = 'a decimal number'): Check<string> =>
  (v, path, issues) => {
    const s = typeof v === 'number' && Number.isFinite(v) ? String(v) : v
    if (typeof s !== 'string' || !/^-?\d+(\.\d+)?$/.test(s)) {
      issues.add(path, `expected ${what} (e.g. "0.01"), got ${describe(v)}`)
      return undefined
    }
    return s
  }

export const list =
  <T>(item: Check<T>, what: string, opts: { min?: number } = {}): Check<T[]> =>
  (v, path, issues) => {
    if (!Array.isArray(v)) {
      issues.add(path, `expected ${what}, got ${describe(v)}`)
      return undefined
    }
    if (opts.min !== undefined && v.length < opts.min) {
      issues.add(path, `expected ${what} with at least ${opts.min} entr${opts.min === 1 ? 'y' : 'ies'}, got ${v.length}`)
      return undefined
    }
    const out: T[] = []
    v.forEach((x, i) => {
      const r = item(x, `${path}[${i}]`, issues)
      if (r !== undefined) out.push(r)
    })
    return out
  }

/** A mapping with free keys (e.g. per-symbol limits). */
export const record =
  <T>(value: Check<T>, what: string): Check<Record<string, T>> =>
  (v, path, issues) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      issues.add(path, `expected ${what}, got ${describe(v)}`)
      return undefined
    }
    const out: Record<string, T> = {}
    for (const [k, x] of Object.entries(v)) {
      const r = value(x, path ? `${path}.${k}` : k, issues)
      if (r !== undefined) out[k] = r
    }
    return out
  }

export interface Field<T> {
  check: Check<T>
  /** value used when the key is absent; omit for a required key */
  default?: T | (() => T)
  optional?: boolean
  /** a nested mapping whose absence means "all defaults" */
  section?: boolean
}

export const required = <T>(check: Check<T>): Field<T> => ({ check })
export const withDefault = <T>(check: Check<T>, def: T | (() => T)): Field<T> => ({ check, default: def })
/** A nested mapping; when absent, its own defaults apply. */
export const section = <T>(check: Check<T>): Field<T> => ({ check, section: true })
export const optional = <T>(check: Check<T>): Field<T | undefined> => ({ check: check as Check<T | undefined>, optional: true })

type Shape = Record<string, Field<unknown>>
export type Out<S extends Shape> = { [K in keyof S]: S[K] extends Field<infer T> ? T : never }

/** A mapping with known keys; unknown keys are an issue. */
export function object<S extends Shape>(shape: S, what = 'a mapping'): Check<Out<S>> {
  return (v, path, issues) => {
    const src = v === undefined || v === null ? {} : v
    if (typeof src !== 'object' || Array.isArray(src)) {
      issues.add(path, `expected ${what}, got ${describe(v)}`)
      return undefined
    }
    const out: Record<string, unknown> = {}
    const input = src as Record<string, unknown>
    for (const key of Object.keys(input)) {
      if (!(key in shape)) issues.add(path ? `${path}.${key}` : key, `unknown key (known: ${Object.keys(shape).join(', ')})`)
    }
    for (const [key, field] of Object.entries(shape)) {
      const p = path ? `${path}.${key}` : key
      if (input[key] === undefined) {
        if (field.section === true) {
          const r = field.check(undefined, p, issues)
          if (r !== undefined) out[key] = r
        } else if (field.default !== undefined) out[key] = typeof field.default === 'function' ? (field.default as () => unknown)() : structuredClone(field.default)
        else if (field.optional !== true) issues.add(p, 'is required')
        continue
      }
      const r = field.check(input[key], p, issues)
      if (r !== undefined) out[key] = r
    }
    return out as Out<S>
  }
}

/** Runs a checker; throws CONFIG_INVALID listing every issue. */
export function validate<T>(check: Check<T>, value: unknown, source: string): T {
  const issues = new Issues()
  const out = check(value, '', issues)
  if (issues.list.length > 0 || out === undefined) {
    throw new TickflowError(ErrorCode.CONFIG_INVALID, `invalid configuration in ${source}:\n  ${issues.list.join('\n  ')}`, {
      details: { issues: issues.list },
    })
  }
  return out
}

/** Deep-freezes a validated configuration (house style 2.9). */
export function deepFreeze<T>(o: T): Readonly<T> {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o)
    for (const v of Object.values(o as object)) deepFreeze(v)
  }
  return o
}
