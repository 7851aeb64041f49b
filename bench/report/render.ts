/**
 * Peers-benchmark report: JSON → Markdown tables + a hand-written SVG bar
 * chart (CPU µs/msg and p99 latency per client, burst and paced), no
 * dependency. Used by bench/scenarios/peers.ts after a run, and standalone:
 *
 *   node dist/bench/report/render.js bench/results/<file>.json   (rewrites the .md and .svg next to it)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ClientSummary, PeersReport } from '../peers/benchmark.js'

const fmt = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : '—')
const fmtInt = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—')
const fmtUs = (x: number): string => (Number.isFinite(x) ? (x >= 10_000 ? `${fmt(x / 1000, 1)} ms` : `${fmtInt(x)}`) : '—')

/** `2026-11-29-2cpu-xeon-8375c` style name: date + cpu count + model slug. */
export function resultBaseName(report: PeersReport): string {
  const day = report.date.slice(0, 10)
  const model = report.machine.model
    .toLowerCase()
    .replace(/\(r\)|\(tm\)|cpu|@.*$/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32)
  return `${day}-${report.machine.cpus}cpu-${model || 'unknown'}${report.config.quick ? '-quick' : ''}`
}

function clientRow(s: ClientSummary, floor: ClientSummary | undefined, tf: ClientSummary | undefined): string {
  if (s.notRunnable !== undefined) return `| ${s.label} | not runnable: ${s.notRunnable} | | | | | | | | |`
  const recv = s.allReceived ? `all (${fmtInt(s.expected)})` : `**MISSED**: min ${fmtInt(s.receivedMin)} of ${fmtInt(s.expected)}`
  const vsFloor = floor !== undefined ? `${fmt(s.cpuUsPerMsg / floor.cpuUsPerMsg)}x` : ''
  const vsTf = tf !== undefined && s.client !== 'tickflow' ? `${fmt(s.cpuUsPerMsg / tf.cpuUsPerMsg)}x` : s.client === 'tickflow' ? '1.00x' : ''
  const noisy = s.noisyRuns > 0 ? ` (${s.noisyRuns}/${s.runs} not quiet)` : ''
  return `| ${s.client === 'tickflow' ? '**' + s.label + '**' : s.label} | ${recv} | ${fmtInt(s.msgsPerSec)} | ${fmt(s.cpuUsPerMsg, 3)} | ${vsFloor} | ${vsTf} | ${fmt(s.rssMiB, 0)} | ${fmtInt(s.bytesPerMsg)} | ${fmtUs(s.p50)} / ${fmtUs(s.p90)} / ${fmtUs(s.p99)} / ${fmtUs(s.p999)} | ${s.runs}${noisy} |`
}

/** The main per-phase table (what the README quotes). */
export function renderClientTable(report: PeersReport, phase: 'burst' | 'paced'): string {
  const rows = report.summary.filter((s) => s.phase === phase)
  const floor = rows.find((s) => s.client === 'ws-count')
  const tf = rows.find((s) => s.client === 'tickflow')
  const spec = report.config.phases.find((p) => p.name === phase)!
  const head =
    `**${phase}** (${phase === 'burst' ? 'as fast as the client drains' : `${fmtInt(spec.rate)} msg/s`}; ${fmtInt(spec.count)} trades after ${fmtInt(spec.warmup)} warm-up; ` +
    `latency sampled on ${spec.sampleMask === 0 ? 'every trade' : `1 in ${spec.sampleMask + 1} trades`}; medians of ${report.config.repeats} runs)\n\n` +
    '| client | messages received | msgs/s | CPU µs/msg | vs ws count | vs tickflow | RSS MiB | heap B/msg | latency µs p50 / p90 / p99 / p99.9 | runs |\n' +
    '|---|---|---|---|---|---|---|---|---|---|\n'
  return head + rows.map((s) => clientRow(s, floor, tf)).join('\n') + '\n'
}

export function renderMarkdown(report: PeersReport, svgName: string): string {
  const m = report.machine
  const out: string[] = []
  out.push(`# tickflow vs peers — ${report.date.slice(0, 10)}`)
  out.push('')
  out.push(
    `Machine: ${m.cpus} × ${m.model}, ${m.memGiB} GiB, ${m.platform}, Node ${m.node} (host ${m.hostname}). ` +
      `Command: \`${report.command}\` (${report.durationS} s). Source: tickflow's simulator in its own process; one client process at a time; ` +
      `client order rotated every repeat.`,
  )
  out.push('')
  out.push(`![CPU µs/msg and p99 latency per client](${svgName})`)
  out.push('')
  out.push('## Targets (burst phase, CPU µs/msg medians)')
  out.push('')
  out.push('| target | measured | limit | result |')
  out.push('|---|---|---|---|')
  for (const t of report.targets) out.push(`| ${t.name} | ${fmt(t.ratio, 2)}${t.name.includes('received') ? '' : 'x'} (${t.detail}) | ${t.kind === 'max' ? '≤' : '≥'} ${t.limit} | ${t.pass ? 'pass' : '**MISS**'} |`)
  out.push('')
  out.push('## End to end, per client')
  out.push('')
  out.push(renderClientTable(report, 'burst'))
  out.push(renderClientTable(report, 'paced'))
  out.push(
    'CPU is the client process only (`process.cpuUsage`, user + system, GC threads included). Latency: the simulator\'s CLOCK_MONOTONIC ' +
      'stamp taken just before the batch write → the moment the client hands the trade to user code (both `process.hrtime.bigint()`); in the ' +
      'burst phase it is dominated by queueing (the whole burst is in flight), so compare burst latencies only with each other.',
  )
  out.push('')
  const noisy = report.runs.filter((r) => !r.load.quiet)
  if (noisy.length > 0) {
    out.push(
      `**Load:** ${noisy.length} of ${report.runs.length} windows were not quiet (other processes used more than ${report.quiet.otherCoresMax} core ` +
        `or steal above ${report.quiet.stealPctMax} %): ${noisy
          .slice(0, 12)
          .map((r) => `${r.phase} r${r.repeat} ${r.client} (${r.load.otherCores} cores, steal ${r.load.stealPct} %)`)
          .join(', ')}${noisy.length > 12 ? ', …' : ''}.`,
    )
  } else out.push('**Load:** every measured window was quiet.')
  out.push('')
  out.push('## tickflow per stage (trade path)')
  out.push('')
  const ip = report.stages.inproc
  if (ip !== null && ip !== undefined) {
    out.push(
      `**In the engine's own composition** (\`bench/peers/inproc.ts\`: the tickflow client's engine, connected to a simulator, fed prebuilt socket reads of the same frames straight into its RawWebSocket; one process per run, medians of ${ip.runs}): cumulative CPU ns/msg as each stage is added.`,
    )
    out.push('')
    out.push('| stage | ns/msg | cumulative |')
    out.push('|---|---|---|')
    out.push(`| transport: frame parsing (raw RFC 6455 client) | ${fmt(ip.transport, 1)} | ${fmt(ip.transport, 1)} |`)
    out.push(`| + WsConnection delivery, decode, trade-gap check, normalize | ${fmt(ip.feed - ip.transport, 1)} | ${fmt(ip.feed, 1)} |`)
    out.push(`| + engine sink, merger (seq, MergedEvent) | ${fmt(ip.merger - ip.feed, 1)} | ${fmt(ip.merger, 1)} |`)
    out.push(`| + dispatcher, strategy host, onTrade | ${fmt(ip.full - ip.merger, 1)} | ${fmt(ip.full, 1)} |`)
    out.push(`| end to end adds: socket reads, event loop, the benchmark's meter | ${fmtInt(ip.kernelNsPerMsg)} | ${fmtInt(report.stages.e2eNsPerMsg)} (tickflow, burst) |`)
    out.push('')
    out.push('**In isolation** (`bench/peers/stages.ts`: each stage in a minimal composition, one process, rotated rounds; a baseline rung is subtracted; shared code sees the other rungs\' types, so this reads high):')
    out.push('')
  }
  out.push('| stage | ns/msg | cumulative | heap B/msg (cumulative) | how |')
  out.push('|---|---|---|---|---|')
  const st = report.stages
  if (st.transportClient === 'raw-count') {
    out.push(`| transport (socket → raw RFC 6455 client → frame) | ${fmtInt(st.transportNsPerMsg)} | | | end to end: tickflow's transport alone, count only, burst (the \`ws\` floor: ${fmtInt(st.wsFloorNsPerMsg)}) |`)
  } else {
    out.push(`| transport (socket → ws → frame) | ${fmtInt(st.transportNsPerMsg)} | | | end to end: bare ws count-only, burst |`)
  }
  for (const r of report.stages.rows) out.push(`| ${r.stage} | ${fmt(r.nsPerMsg, 1)} | ${fmt(r.cumulativeNsPerMsg, 1)} | ${fmt(r.bytesPerMsg, 1)} | in-process ladder |`)
  out.push(`| book | — | | | not on the trade path (\`npm run bench -- book\`: diffs applied per level) |`)
  if (ip === null || ip === undefined) {
    out.push(
      `| rest (engine wiring: WsConnection → feed → engine sink, per-read clock, latency probe, cache effects) | ${fmtInt(report.stages.otherNsPerMsg)} | | | end-to-end tickflow (${fmtInt(report.stages.e2eNsPerMsg)}) − transport − ladder |`,
    )
  }
  out.push('')
  out.push('## Pooled vs unpooled (tickflow, burst)')
  out.push('')
  out.push('| variant | all received | CPU µs/msg | heap B/msg | GCs per 1M msgs | GC ms per 1M msgs | pipeline p99 µs | pipeline p99.9 µs | end-to-end p99 |')
  out.push('|---|---|---|---|---|---|---|---|---|')
  for (const p of report.pools) {
    out.push(
      `| ${p.variant} | ${p.allReceived ? 'yes' : '**no**'} | ${fmt(p.cpuUsPerMsg, 3)} | ${fmtInt(p.bytesPerMsg)} | ${fmtInt(p.gcPerMillion)} | ${fmt(p.gcMsPerMillion, 1)} | ${fmtUs(p.pipelineP99Us)} | ${fmtUs(p.pipelineP999Us)} | ${fmtUs(p.e2eP99Us)} |`,
    )
  }
  out.push('')
  out.push(
    'Pipeline latency: frame received (the transport\'s receive stamp) → the strategy\'s onTrade, in-process. OrderRequest and ExecReport pools are not on the market-data path.',
  )
  out.push('')
  const errs = report.summary.filter((s) => s.errors.length > 0)
  if (errs.length > 0) {
    out.push('## Errors')
    out.push('')
    for (const s of errs) out.push(`- ${s.phase} ${s.client}: ${s.errors.join('; ')}`)
    out.push('')
  }
  return out.join('\n')
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** Two horizontal bar panels (CPU µs/msg, p99 µs), burst and paced bars per client. Log-free, hand-written SVG. */
export function renderSvg(report: PeersReport): string {
  const clients = report.clients.filter((c) => c.notRunnable === undefined)
  const get = (id: string, phase: string): ClientSummary | undefined => report.summary.find((s) => s.client === id && s.phase === phase)
  const W = 960
  const rowH = 34
  const top = 58
  const labelW = 210
  const panelW = (W - labelW - 40) / 2
  const H = top + clients.length * rowH + 56
  const colors = { burst: '#3b6fb6', paced: '#e0873a' }
  // Burst latency is queueing behind the whole in-flight burst (ms); the latency panel shows the paced phase only.
  const panels: Array<{ title: string; x: number; value: (s: ClientSummary) => number; unit: string; phases: Array<'burst' | 'paced'> }> = [
    { title: 'CPU µs per message (client process)', x: labelW, value: (s) => s.cpuUsPerMsg, unit: '', phases: ['burst', 'paced'] },
    { title: 'p99 one-way latency at 20,000 msg/s, µs', x: labelW + panelW + 30, value: (s) => s.p99, unit: 'µs', phases: ['paced'] },
  ]
  const parts: string[] = []
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`)
  parts.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`)
  parts.push(
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${esc(`tickflow vs peers — ${report.machine.cpus} × ${report.machine.model}, Node ${report.machine.node}, ${report.date.slice(0, 10)}`)}</text>`,
  )
  for (const p of panels) {
    let max = 0
    for (const c of clients) for (const ph of p.phases) {
      const s = get(c.id, ph)
      if (s !== undefined && Number.isFinite(p.value(s))) max = Math.max(max, p.value(s))
    }
    if (max <= 0) max = 1
    parts.push(`<text x="${p.x}" y="44" font-weight="bold">${esc(p.title)}</text>`)
    clients.forEach((c, i) => {
      const y = top + i * rowH
      for (const [k, ph] of p.phases.entries()) {
        const s = get(c.id, ph)
        const v = s === undefined ? NaN : p.value(s)
        const w = Number.isFinite(v) ? Math.max(1, (v / max) * (panelW - 70)) : 0
        const by = y + (p.phases.length === 1 ? 7 : k * 14)
        parts.push(`<rect x="${p.x}" y="${by}" width="${w.toFixed(1)}" height="12" fill="${colors[ph]}"${c.id === 'tickflow' ? ' stroke="#000" stroke-width="1"' : ''}/>`)
        const txt = Number.isFinite(v) ? (p.unit === 'µs' && v >= 10_000 ? `${(v / 1000).toFixed(1)} ms` : v < 10 ? v.toFixed(2) : Math.round(v).toLocaleString('en-US')) : 'n/a'
        const missed = s !== undefined && !s.allReceived ? ' (missed msgs)' : ''
        parts.push(`<text x="${(p.x + w + 4).toFixed(1)}" y="${by + 10}" font-size="11">${esc(txt + missed)}</text>`)
      }
    })
  }
  clients.forEach((c, i) => {
    const y = top + i * rowH + 16
    parts.push(`<text x="${labelW - 8}" y="${y}" text-anchor="end"${c.id === 'tickflow' ? ' font-weight="bold"' : ''}>${esc(c.label)}</text>`)
  })
  const ly = H - 22
  parts.push(`<rect x="${labelW}" y="${ly - 10}" width="12" height="12" fill="${colors.burst}"/><text x="${labelW + 18}" y="${ly}">burst (as fast as the client drains)</text>`)
  parts.push(`<rect x="${labelW + 260}" y="${ly - 10}" width="12" height="12" fill="${colors.paced}"/><text x="${labelW + 278}" y="${ly}">paced (20,000 msg/s)</text>`)
  parts.push(`<text x="${W - 10}" y="${ly}" text-anchor="end" fill="#555">${esc(report.command)}</text>`)
  parts.push('</svg>')
  return parts.join('\n') + '\n'
}

/** Writes <base>.json, <base>.md and <base>.svg into `dir`; returns their paths. */
export function writeReportFiles(report: PeersReport, dir: string): { json: string; md: string; svg: string } {
  mkdirSync(dir, { recursive: true })
  const base = resultBaseName(report)
  const json = path.join(dir, `${base}.json`)
  const md = path.join(dir, `${base}.md`)
  const svg = path.join(dir, `${base}.svg`)
  writeFileSync(json, JSON.stringify(report, null, 2) + '\n')
  writeFileSync(svg, renderSvg(report))
  writeFileSync(md, renderMarkdown(report, `${base}.svg`))
  return { json, md, svg }
}

// Standalone: re-render the Markdown and SVG of a saved JSON.
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = process.argv[2]
  if (file === undefined) {
    process.stderr.write('usage: node dist/bench/report/render.js <peers-report.json>\n')
    process.exitCode = 2
  } else {
    const report = JSON.parse(readFileSync(file, 'utf8')) as PeersReport
    const base = file.replace(/\.json$/, '')
    writeFileSync(`${base}.svg`, renderSvg(report))
    writeFileSync(`${base}.md`, renderMarkdown(report, `${path.basename(base)}.svg`))
    process.stdout.write(`wrote ${base}.md and ${base}.svg\n`)
  }
}
