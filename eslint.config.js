// ESLint flat config: typescript-eslint's recommended rules plus tickflow's gate
// (eslint/plugin.js). The layer table mirrors docs/architecture.md.
import tseslint from 'typescript-eslint'
import tickflow from './eslint/plugin.js'

/** src/<layer> -> the other src/ layers it may import. */
export const LAYERS = {
  core: [],
  capture: ['core'],
  model: ['core'],
  transport: ['core'],
  book: ['core', 'model'],
  venues: ['core', 'model', 'transport', 'book'],
  sim: ['core', 'model', 'transport', 'book', 'capture'],
  pipeline: ['core', 'model', 'book'],
  strategy: ['core', 'model', 'book'],
  orders: ['core', 'model'],
  journal: ['core', 'model'],
  replay: ['core', 'model', 'transport', 'book', 'venues', 'capture'],
  runtime: ['core', 'capture', 'model', 'transport', 'book', 'venues', 'sim', 'pipeline', 'strategy', 'orders', 'journal', 'replay'],
  cli: ['runtime'],
}

const HOT_PATHS = ['src/transport/**', 'src/venues/*/codec/**', 'src/book/**', 'src/pipeline/**']
const DECIMAL_PATHS = ['src/venues/*/codec/**', 'src/orders/**', 'src/venues/*/orders/**']

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/node_modules/**', 'eslint/**', 'scripts/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    plugins: { tickflow },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-empty': ['error', { allowEmptyCatch: false }],
      'tickflow/banned-imports': [
        'error',
        [
          { name: 'ws', allowIn: ['src/transport/**', 'test/**', 'bench/**'], use: "tickflow's connection API (src/transport: connectWs, WsServer)" },
          {
            name: 'undici',
            importNames: ['WebSocket', 'WebSocketStream'],
            allowIn: [],
            use: "tickflow's connection API over ws (undici's WebSocket costs 1.6-2.3x the CPU per message: node-performance.md §2)",
          },
          { name: 'better-sqlite3', allowIn: ['src/journal/**', 'test/**', 'bench/**'], use: 'the journal API (src/journal)' },
          { name: 'prom-client', allowIn: ['src/runtime/**', 'test/**'], use: 'component stats() snapshots exported by src/runtime/metrics' },
          { name: 'pino', allowIn: ['src/runtime/**', 'test/**', 'bench/**'], use: 'the Logger interface handed to components (src/core/logger.ts)' },
        ],
      ],
      'tickflow/banned-globals': [
        'error',
        { globals: [{ name: 'WebSocket', use: "tickflow's connection API over ws (the built-in WebSocket costs 2.15-2.35x the CPU of ws, node-performance.md §2)" }] },
      ],
      'tickflow/layer-imports': ['error', { layers: LAYERS }],
      'tickflow/no-cycle': 'error',
    },
  },
  {
    files: HOT_PATHS,
    ignores: ['src/venues/*/codec/fallback.ts'],
    rules: {
      'tickflow/banned-calls': [
        'error',
        {
          calls: [
            { callee: 'JSON.parse', use: 'the byte-level codec in src/venues/<venue>/codec (its JSON.parse fallback is codec/fallback.ts)' },
            { callee: 'JSON.stringify', use: 'a preformatted buffer, or move the call off the hot path' },
          ],
        },
      ],
    },
  },
  {
    files: DECIMAL_PATHS,
    ignores: ['src/venues/*/codec/fallback.ts'],
    rules: {
      'tickflow/no-float-parse': [
        'error',
        {
          calls: [
            { callee: 'parseFloat', use: 'parseDecimal or parseDecimalBytes from src/core/fixed-point.ts (decimals are exact)' },
            { callee: 'Number.parseFloat', use: 'parseDecimal or parseDecimalBytes from src/core/fixed-point.ts (decimals are exact)' },
            { callee: 'Number', use: 'parseDecimal from src/core/fixed-point.ts for decimals, or an integer parser for ids' },
          ],
          unaryPlus: 'parseDecimal from src/core/fixed-point.ts for decimals, or an integer parser for ids',
        },
      ],
    },
  },
)
