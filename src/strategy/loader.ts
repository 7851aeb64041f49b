/**
 * Loads a strategy module by path (cold path; clarity first).
 *
 * - `.js` / `.mjs` / `.cjs`: imported directly.
 * - `.ts` / `.mts` / `.cts`: transpiled with the `typescript` package's
 *   `transpileModule` (Node 20 has no type stripping; no type checking is
 *   done, only syntax errors are reported), written next to the source as a
 *   hidden `.<name>.<pid>-<n>.tickflow.mjs` (so relative imports of JS files
 *   and packages resolve as from the source), imported, then deleted. When the
 *   source directory is not writable the file goes to the OS temp directory
 *   (relative imports then fail). A multi-file TypeScript strategy should be
 *   compiled with `tsc` and loaded as JavaScript.
 *
 * The module exports the strategy as `default` or as `strategy`, as
 *   - a class: instantiated with `new C(params)`,
 *   - a factory function: called with `params` (may return a Promise),
 *   - or an object (used as is).
 * The result must have at least one strategy hook; an `on*` method that is not
 * a hook (`onTick`) is refused as a likely typo. Every failure is a
 * TickflowError STRATEGY_LOAD naming the path and the problem.
 */
import { existsSync, statSync, unlinkSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { ErrorCode, TickflowError, describeError } from '../core/errors.js'
import { STRATEGY_HOOKS, type Strategy } from './strategy.js'

export interface LoadStrategyOptions {
  /** base directory for a relative path (default process.cwd()) */
  cwd?: string
  /** passed to the class constructor or factory */
  params?: Readonly<Record<string, unknown>>
}

export interface LoadedStrategy {
  strategy: Strategy
  /** the strategy's `name`, else its class name, else the file's base name */
  name: string
  /** absolute path of the module */
  path: string
}

const JS_EXT = new Set(['.js', '.mjs', '.cjs'])
const TS_EXT = new Set(['.ts', '.mts', '.cts'])
const HOOKS: ReadonlySet<string> = new Set(STRATEGY_HOOKS)
let tempCounter = 0

function loadError(file: string, problem: string, cause?: unknown): TickflowError {
  const opts: { cause?: unknown; details: Record<string, unknown> } = { details: { path: file } }
  if (cause !== undefined) opts.cause = cause
  return new TickflowError(ErrorCode.STRATEGY_LOAD, `strategy ${file}: ${problem}`, opts)
}

/** Imports, instantiates and checks a strategy module. Rejects with STRATEGY_LOAD. */
export async function loadStrategy(file: string, options: LoadStrategyOptions = {}): Promise<LoadedStrategy> {
  if (typeof file !== 'string' || file === '') throw loadError(String(file), 'the strategy path must be a non-empty string')
  const abs = path.resolve(options.cwd ?? process.cwd(), file)
  if (!existsSync(abs)) throw loadError(abs, 'file not found')
  if (!statSync(abs).isFile()) throw loadError(abs, 'not a file')
  const ext = path.extname(abs).toLowerCase()
  let mod: Record<string, unknown>
  if (JS_EXT.has(ext)) mod = await importFile(abs, abs)
  else if (TS_EXT.has(ext)) mod = await importTypeScript(abs, ext)
  else throw loadError(abs, `unsupported file type "${ext}": expected .js, .mjs, .cjs, .ts, .mts or .cts`)
  const exported = pickExport(abs, mod)
  const strategy = await instantiate(abs, exported, options.params ?? {})
  checkShape(abs, strategy)
  return { strategy, name: nameOf(strategy, exported, abs), path: abs }
}

async function importFile(abs: string, shownAs: string): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(abs).href)) as Record<string, unknown>
  } catch (err) {
    throw loadError(shownAs, `cannot import: ${describeError(err)}`, err)
  }
}

interface TsApi {
  transpileModule(
    input: string,
    options: { compilerOptions: Record<string, unknown>; fileName: string; reportDiagnostics: boolean },
  ): {
    outputText: string
    diagnostics?: Array<{ messageText: string | { messageText: string }; start?: number; file?: { getLineAndCharacterOfPosition(p: number): { line: number; character: number } } }>
  }
  ModuleKind: { ESNext: number; CommonJS: number }
  ScriptTarget: { ES2022: number }
}

async function loadTypeScript(abs: string): Promise<TsApi> {
  try {
    const m = (await import('typescript')) as unknown as { default?: TsApi } & TsApi
    return m.default ?? m
  } catch (err) {
    throw loadError(abs, "a TypeScript strategy needs the 'typescript' package (npm install typescript), or compile it to .js first", err)
  }
}

async function importTypeScript(abs: string, ext: string): Promise<Record<string, unknown>> {
  const ts = await loadTypeScript(abs)
  const source = readFileSync(abs, 'utf8')
  const cjs = ext === '.cts'
  const out = ts.transpileModule(source, {
    compilerOptions: {
      module: cjs ? ts.ModuleKind.CommonJS : ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      inlineSourceMap: true,
      useDefineForClassFields: true,
    },
    fileName: abs,
    reportDiagnostics: true,
  })
  const diags = out.diagnostics ?? []
  if (diags.length > 0) {
    const d = diags[0]!
    const text = typeof d.messageText === 'string' ? d.messageText : d.messageText.messageText
    let where = ''
    if (d.file !== undefined && d.start !== undefined) {
      const lc = d.file.getLineAndCharacterOfPosition(d.start)
      where = ` at line ${lc.line + 1}, column ${lc.character + 1}`
    }
    throw loadError(abs, `TypeScript syntax error${where}: ${text}`)
  }
  const base = `.${path.basename(abs, ext)}.${process.pid}-${++tempCounter}.tickflow${cjs ? '.cjs' : '.mjs'}`
  let tmp = path.join(path.dirname(abs), base)
  try {
    writeFileSync(tmp, out.outputText)
  } catch {
    // The source directory is read-only: fall back to the temp directory (relative imports will not resolve there).
    const dir = path.join(os.tmpdir(), 'tickflow-strategies')
    mkdirSync(dir, { recursive: true })
    tmp = path.join(dir, base)
    writeFileSync(tmp, out.outputText)
  }
  try {
    return await importFile(tmp, abs)
  } finally {
    try {
      unlinkSync(tmp)
    } catch {
      // Already gone (another cleanup); nothing to do.
    }
  }
}

function pickExport(abs: string, mod: Record<string, unknown>): unknown {
  let v: unknown = mod.default !== undefined ? mod.default : mod.strategy
  // A CommonJS module.exports = { strategy } arrives as default.strategy.
  if (v !== null && typeof v === 'object' && !hasHook(v) && (v as Record<string, unknown>).strategy !== undefined) {
    v = (v as Record<string, unknown>).strategy
  }
  if (v === undefined || v === null) {
    const names = Object.keys(mod).filter((k) => k !== 'default')
    throw loadError(abs, `exports no strategy: expected a default export or an export named "strategy" (found: ${names.length > 0 ? names.join(', ') : 'nothing'})`)
  }
  return v
}

function hasHook(o: object): boolean {
  for (const h of STRATEGY_HOOKS) if (typeof (o as Record<string, unknown>)[h] === 'function') return true
  return false
}

function isClass(f: (...args: never[]) => unknown): boolean {
  if (/^class[\s{]/.test(Function.prototype.toString.call(f))) return true
  const proto = (f as { prototype?: object }).prototype
  return proto !== undefined && proto !== null && hasHook(proto)
}

async function instantiate(abs: string, exported: unknown, params: Readonly<Record<string, unknown>>): Promise<Strategy> {
  if (typeof exported === 'function') {
    try {
      const made = isClass(exported as (...args: never[]) => unknown) ? new (exported as new (p: unknown) => unknown)(params) : await (exported as (p: unknown) => unknown)(params)
      if (made === null || typeof made !== 'object') throw loadError(abs, `the factory returned ${made === null ? 'null' : typeof made}, expected a strategy object`)
      return made as Strategy
    } catch (err) {
      if (err instanceof TickflowError && err.code === ErrorCode.STRATEGY_LOAD) throw err
      throw loadError(abs, `constructing the strategy threw: ${describeError(err)}`, err)
    }
  }
  if (exported !== null && typeof exported === 'object') return exported as Strategy
  throw loadError(abs, `the export is a ${typeof exported}, expected a class, a factory function or an object`)
}

/** Own and inherited method names (stops at Object.prototype). */
function methodNames(o: object): string[] {
  const out = new Set<string>()
  for (let p: object | null = o; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    for (const k of Object.getOwnPropertyNames(p)) {
      if (k === 'constructor') continue
      const d = Object.getOwnPropertyDescriptor(p, k)
      if (d !== undefined && typeof d.value === 'function') out.add(k)
    }
  }
  return [...out]
}

function checkShape(abs: string, s: Strategy): void {
  const methods = methodNames(s)
  const unknown = methods.filter((m) => /^on[A-Z]/.test(m) && !HOOKS.has(m))
  if (unknown.length > 0) {
    throw loadError(abs, `unknown strategy method(s) ${unknown.join(', ')}: the hooks are ${STRATEGY_HOOKS.join(', ')}`)
  }
  for (const h of STRATEGY_HOOKS) {
    const v = (s as Record<string, unknown>)[h]
    if (v !== undefined && typeof v !== 'function') throw loadError(abs, `${h} must be a function, got ${typeof v}`)
  }
  if (!hasHook(s)) throw loadError(abs, `the strategy has none of the hooks ${STRATEGY_HOOKS.join(', ')}`)
}

function nameOf(s: Strategy, exported: unknown, abs: string): string {
  if (typeof s.name === 'string' && s.name !== '') return s.name
  if (typeof exported === 'function' && exported.name !== '' && exported.name !== 'default') return exported.name
  const ctor = (s as { constructor?: { name?: string } }).constructor
  if (ctor !== undefined && ctor !== Object && typeof ctor.name === 'string' && ctor.name !== '') return ctor.name
  return path.basename(abs, path.extname(abs))
}
