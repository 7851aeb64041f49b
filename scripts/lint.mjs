// Runs ESLint with tickflow's config and prints one line per problem:
//   path:line:col: message (rule-name)
// Usage: node scripts/lint.mjs [files…]            (default: src test bench examples)
//        node scripts/lint.mjs --stdin-filename <virtual path>   (lints standard input as that file)
import { ESLint } from 'eslint'
import { readFileSync } from 'node:fs'

const args = process.argv.slice(2)
const eslint = new ESLint({ errorOnUnmatchedPattern: false })
let results
const i = args.indexOf('--stdin-filename')
if (i >= 0) {
  const filePath = args[i + 1]
  results = await eslint.lintText(readFileSync(0, 'utf8'), { filePath, warnIgnored: true })
} else {
  results = await eslint.lintFiles(args.length > 0 ? args : ['src', 'test', 'bench', 'examples'])
}
let errors = 0
let warnings = 0
const cwd = process.cwd()
for (const r of results) {
  const file = r.filePath.startsWith(cwd + '/') ? r.filePath.slice(cwd.length + 1) : r.filePath
  for (const m of r.messages) {
    if (m.severity === 2) errors++
    else warnings++
    process.stdout.write(`${file}:${m.line ?? 0}:${m.column ?? 0}: ${m.message} (${m.ruleId ?? 'parse'})\n`)
  }
}
if (errors + warnings > 0) process.stdout.write(`lint: ${errors} error(s), ${warnings} warning(s)\n`)
process.exitCode = errors > 0 ? 1 : 0
