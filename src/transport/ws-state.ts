/**
 * Connection states, their names, and how changes are observed.
 *
 *   connecting ──> open ──> closing ──> closed            (one WsConnection)
 *        │                                  ^
 *        └──────────── (failed) ────────────┘
 *
 *   ManagedWs: connecting -> open -> reconnecting -> open -> … -> closing -> closed
 *
 * Every change is counted (stats().transitions), handed to the `onState`
 * listener given at construction, and published on the diagnostics channel
 * `tickflow:transport:state` when it has subscribers (house style 2.11).
 */
import diagnosticsChannel from 'node:diagnostics_channel'

export const WsState = {
  Connecting: 0,
  Open: 1,
  Closing: 2,
  Closed: 3,
  Reconnecting: 4,
} as const
export type WsStateValue = (typeof WsState)[keyof typeof WsState]

export const WS_STATE_NAMES = ['connecting', 'open', 'closing', 'closed', 'reconnecting'] as const
export type WsStateName = (typeof WS_STATE_NAMES)[number]

/** One state change. */
export interface WsStateChange {
  /** 'connection' for a WsConnection, 'managed' for a ManagedWs. */
  source: 'connection' | 'managed'
  /** The WsConnection id (for 'managed': the current connection's id, 0 when none). */
  connId: number
  /** A name given in the options (e.g. 'binance-spot-md'), '' when none. */
  name: string
  state: WsStateValue
  stateName: WsStateName
  previous: WsStateValue
  /** Why (close code text, error code, 'rotation', 'serverShutdown', …); '' when nothing to say. */
  reason: string
  /** Wall clock, epoch ms. */
  atMs: number
}

export type WsStateListener = (change: WsStateChange) => void

/** `tickflow:transport:state`: receives every WsStateChange. */
export const stateChannel = diagnosticsChannel.channel('tickflow:transport:state')

/** Counts of entries into each state, indexed by WsState. */
export function newTransitionCounts(): Int32Array {
  return new Int32Array(WS_STATE_NAMES.length)
}

/** The counts as a plain object for stats(). */
export function transitionsObject(counts: Int32Array): Record<WsStateName, number> {
  return {
    connecting: counts[0]!,
    open: counts[1]!,
    closing: counts[2]!,
    closed: counts[3]!,
    reconnecting: counts[4]!,
  }
}

/** Notifies a listener and the diagnostics channel (cold path: state changes are rare). */
export function publishState(listener: WsStateListener | null, change: WsStateChange): void {
  if (stateChannel.hasSubscribers) stateChannel.publish(change)
  if (listener !== null) listener(change)
}
