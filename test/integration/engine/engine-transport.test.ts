/**
 * `venues[].transport`: the market-data WebSocket client is chosen per venue.
 * With `ws` (the escape hatch) the engine runs exactly as with the default
 * raw client: data flows, books sync, the connection reports which client it
 * is, shutdown is clean.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createEngine } from '../../../src/runtime/engine.js'
import type { ReadonlyCanonicalEvent } from '../../../src/model/events.js'
import { eventually } from '../../helpers/eventually.js'

for (const transport of ['ws', 'raw'] as const) {
  test(`venues[].transport: ${transport}: trades flow, the book syncs, the connection says which client it is, clean shutdown`, { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tickflow-transport-'))
    let trades = 0
    const strategy = {
      name: 'count',
      onTrade(_ev: ReadonlyCanonicalEvent): void {
        trades++
      },
    }
    const engine = createEngine(
      {
        venues: [{ name: 'sim', type: 'simulator', symbols: ['BTCUSDT'], streams: ['trade', 'depth'], trading: false, transport }],
        journal: { path: path.join(dir, 'journal.sqlite') },
        metrics: { enabled: false },
      },
      { strategies: [{ name: 'count', strategy }], poolDebug: true },
    )
    try {
      await engine.start()
      const id = engine.registry.lookup('sim', 'BTCUSDT')
      await eventually(() => {
        assert.ok(trades > 5, `trades ${trades}`)
        assert.equal(engine.venues[0]!.feed.bookState(id), 'synced')
      }, 15_000)
      const conn = engine.venues[0]!.feed.stats().connections[0]!.transport.connection
      assert.equal(conn?.transport, transport)
    } finally {
      const r = await engine.close()
      rmSync(dir, { recursive: true, force: true })
      assert.equal(r.clean, true, r.errors.join('; '))
    }
  })
}
