/**
 * Client order ids, unique across restarts.
 *
 *   <prefix>-<epoch base36>-<counter base36>      e.g. "tf-t5x1k2-1b"
 *
 * - `epoch` is this run's id epoch, reserved in the journal at start
 *   (`OrderJournal.reserveIdEpoch`): max(now in seconds, last reserved + 1),
 *   persisted before the first id is issued. Two runs never share an epoch,
 *   even if the wall clock goes backwards, so no id is ever reused.
 * - `counter` counts ids within the run (new orders and cancel requests).
 * - The charset is `[A-Za-z0-9_-]`: the intersection of the two patterns
 *   Binance documents (`newClientOrderId` `^[a-zA-Z0-9-_]{1,36}$`, which the
 *   simulator enforces, and the WS-API's `^[.A-Z:/a-z0-9_-]{1,36}$`). The
 *   prefix is validated to `[A-Za-z0-9_]{1,8}`, so the id stays <= 36
 *   characters for any counter below 36^12.
 */
import { ErrorCode, TickflowError } from '../core/errors.js'

/** The client order id pattern tickflow issues (legal under both Binance patterns). */
export const CLIENT_ORDER_ID_RE = /^[A-Za-z0-9_-]{1,36}$/

export class OrderIdGenerator {
  private readonly head: string
  private counter = 0

  /** `epoch` comes from `OrderJournal.reserveIdEpoch`. */
  constructor(
    prefix: string,
    readonly epoch: number,
  ) {
    if (!/^[A-Za-z0-9_]{1,8}$/.test(prefix)) {
      throw new TickflowError(ErrorCode.CONFIG_INVALID, `client order id prefix must match [A-Za-z0-9_]{1,8}, got "${prefix}"`)
    }
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new TickflowError(ErrorCode.CONFIG_INVALID, `id epoch must be a non-negative integer, got ${epoch}`)
    this.head = `${prefix}-${epoch.toString(36)}-`
  }

  /** The next id. */
  next(): string {
    return this.head + (++this.counter).toString(36)
  }

  /** Ids issued so far in this run. */
  get issued(): number {
    return this.counter
  }
}
