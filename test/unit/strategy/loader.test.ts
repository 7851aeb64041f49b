import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { isTickflowError } from '../../../src/core/errors.js'
import { loadStrategy } from '../../../src/strategy/loader.js'

let dir = ''
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tickflow-loader-'))
})
after(() => {
  rmSync(dir, { recursive: true, force: true })
})

function write(name: string, text: string): string {
  const p = path.join(dir, name)
  writeFileSync(p, text)
  return p
}

function loadFails(problem: RegExp): (e: unknown) => boolean {
  return (e: unknown) => isTickflowError(e, 'STRATEGY_LOAD') && problem.test((e as Error).message)
}

test('.js: a default-exported class is instantiated with the params', async () => {
  const p = write(
    'printer.js',
    `export default class Printer {
       constructor(params) { this.depth = params.depth }
       onTrade(ev) { this.last = ev }
     }`,
  )
  const loaded = await loadStrategy(p, { params: { depth: 5 } })
  assert.equal(loaded.name, 'Printer')
  assert.equal(loaded.path, p)
  assert.equal((loaded.strategy as { depth?: number }).depth, 5)
  assert.equal(typeof loaded.strategy.onTrade, 'function')
})

test('.mjs named export `strategy` as an object; .cjs module.exports factory; relative path with cwd', async () => {
  write('obj.mjs', `export const strategy = { name: 'obj', onQuote() {} }`)
  const a = await loadStrategy('obj.mjs', { cwd: dir })
  assert.equal(a.name, 'obj')
  write('factory.cjs', `module.exports = function makeIt(params) { return { onBar() {}, size: params.size } }`)
  const b = await loadStrategy(path.join(dir, 'factory.cjs'), { params: { size: 3 } })
  assert.equal((b.strategy as { size?: number }).size, 3)
  assert.equal(b.name, 'makeIt')
  write('async-factory.mjs', `export default async () => ({ onStart() {} })`)
  const c = await loadStrategy(path.join(dir, 'async-factory.mjs'))
  assert.equal(c.name, 'async-factory')
})

test('.ts: transpiled with typescript (types, interfaces, parameter properties), temp file removed', async () => {
  const p = write(
    'maker.ts',
    `interface Params { spread: number }
     type Ctx = { name: string }
     export class Maker {
       private quotes: number = 0
       constructor(private readonly params: Params) {}
       onStart(ctx: Ctx): void { this.quotes = this.params.spread }
       onBbo(): void { this.quotes++ }
       get spread(): number { return this.params.spread }
     }
     export default Maker`,
  )
  const before = readdirSync(dir).sort()
  const loaded = await loadStrategy(p, { params: { spread: 7 } })
  assert.equal(loaded.name, 'Maker')
  assert.equal((loaded.strategy as unknown as { spread: number }).spread, 7)
  assert.deepEqual(readdirSync(dir).sort(), before, 'the transpiled file was deleted')
})

test('coded STRATEGY_LOAD errors name the path and the problem', async () => {
  await assert.rejects(loadStrategy(path.join(dir, 'missing.js')), loadFails(/missing\.js: file not found/))
  await assert.rejects(loadStrategy(write('x.py', 'pass')), loadFails(/unsupported file type "\.py"/))
  await assert.rejects(loadStrategy(write('none.mjs', 'export const helper = 1')), loadFails(/exports no strategy.*found: helper/))
  await assert.rejects(loadStrategy(write('typo.mjs', 'export default { onTick() {} }')), loadFails(/typo\.mjs: unknown strategy method\(s\) onTick/))
  await assert.rejects(loadStrategy(write('empty.mjs', 'export default { run() {} }')), loadFails(/has none of the hooks/))
  await assert.rejects(loadStrategy(write('notfn.mjs', 'export default { onTrade: 5, onBar() {} }')), loadFails(/onTrade must be a function/))
  await assert.rejects(loadStrategy(write('throws.mjs', 'export default class { constructor() { throw new Error("no key") } onTrade() {} }')), loadFails(/constructing the strategy threw: Error: no key/))
  await assert.rejects(loadStrategy(write('syntax.mjs', 'export default {')), loadFails(/syntax\.mjs: cannot import/))
  await assert.rejects(loadStrategy(write('bad.ts', 'export default class {\n  onTrade( {\n}')), loadFails(/bad\.ts: TypeScript syntax error at line \d+/))
  await assert.rejects(loadStrategy(write('num.mjs', 'export default 42')), loadFails(/the export is a number/))
})
