/** Paths tests use: the repository root and the shared fixtures beside it (../shared, as in CI). */
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** Repository root (tests run compiled from dist/test/…). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
/** ../shared beside the repository (override with TICKFLOW_SHARED). */
export const SHARED_DIR = process.env.TICKFLOW_SHARED ?? path.resolve(REPO_ROOT, '..', 'shared')
export const BINANCE_FIXTURES = path.join(SHARED_DIR, 'fixtures', 'binance')
/** The compiled CLI entry point. */
export const CLI = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'bin.js')
