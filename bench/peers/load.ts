/**
 * The machine's OTHER load during a measured window: /proc/stat CPU time of
 * the whole host minus the CPU of the processes we know (client, simulator,
 * runner), plus steal (time the hypervisor gave to other guests) and the
 * load averages. A window is "quiet" when the others used less than
 * QUIET_OTHER_CORES of a core on average and steal stayed under
 * QUIET_STEAL_PCT of the machine.
 */
import { readFileSync } from 'node:fs'
import os from 'node:os'

export const QUIET_OTHER_CORES = 0.25
export const QUIET_STEAL_PCT = 5

export interface ProcStat {
  /** seconds of CPU in each state, summed over all cores */
  busyS: number
  idleS: number
  stealS: number
  /** wall time of the reading (process.hrtime, s) */
  atS: number
}

const TICKS_PER_S = 100 // USER_HZ on Linux

export function readProcStat(): ProcStat | null {
  let line: string
  try {
    line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0]!
  } catch {
    return null
  }
  const f = line.trim().split(/\s+/).slice(1).map((x) => Number.parseInt(x, 10))
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f
  return {
    busyS: (user + nice + system + irq + softirq) / TICKS_PER_S,
    idleS: (idle + iowait) / TICKS_PER_S,
    stealS: steal / TICKS_PER_S,
    atS: Number(process.hrtime.bigint()) / 1e9,
  }
}

export interface WindowLoad {
  wallS: number
  /** average cores busy on the whole host */
  hostBusyCores: number
  /** average cores used by processes other than ours (≥ 0) */
  otherCores: number
  /** steal, % of the machine */
  stealPct: number
  loadavg1: number
  quiet: boolean
}

/** `knownCpuS`: CPU seconds our own processes used in the window. */
export function windowLoad(a: ProcStat | null, b: ProcStat | null, knownCpuS: number): WindowLoad {
  const loadavg1 = Math.round(os.loadavg()[0]! * 100) / 100
  if (a === null || b === null) return { wallS: 0, hostBusyCores: NaN, otherCores: NaN, stealPct: NaN, loadavg1, quiet: true }
  const wallS = Math.max(1e-3, b.atS - a.atS)
  const busy = b.busyS - a.busyS
  const total = busy + (b.idleS - a.idleS) + (b.stealS - a.stealS)
  const other = Math.max(0, busy - knownCpuS) / wallS
  // /proc/stat ticks are 10 ms; a short window reads coarse, so allow one tick per core of slack.
  const slack = (os.cpus().length * 0.01) / wallS
  const stealPct = total > 0 ? ((b.stealS - a.stealS) / total) * 100 : 0
  return {
    wallS: Math.round(wallS * 1000) / 1000,
    hostBusyCores: Math.round((busy / wallS) * 100) / 100,
    otherCores: Math.round(other * 100) / 100,
    stealPct: Math.round(stealPct * 10) / 10,
    loadavg1,
    quiet: other <= QUIET_OTHER_CORES + slack && stealPct <= QUIET_STEAL_PCT,
  }
}
