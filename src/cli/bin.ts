#!/usr/bin/env node
/** Entry point of the `tickflow` executable (package.json `bin`). */
import { main } from './main.js'

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(`tickflow: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = 1
  },
)
