/**
 * Stream fan-out: topics (one per stream name) and the connections
 * subscribed to them.
 *
 * Hot path design: a publisher asks `topic.wants()` first (one check when
 * nobody listens), encodes the payload once per time unit actually in use
 * (`msSubs`/`usSubs` are counted at subscribe time), and `publish()` frames it
 * at most once per envelope (raw / combined) and writes the same Buffer to
 * every subscriber. No per-subscriber JSON, framing or copy.
 */
import { encodeTextFrame, type WsConn } from '../transport/ws-server.js'

/** The market-data state of one WebSocket connection. */
export class StreamSession {
  readonly conn: WsConn
  /** combined envelope {"stream","data"} (true on /stream, false on /ws) */
  combined: boolean
  /** timeUnit=MICROSECOND */
  readonly micro: boolean
  readonly topics = new Map<string, Topic>()
  /** called when the connection's send buffer drained (the firehose waits on it) */
  onDrain: (() => void) | null = null
  /** called once when the connection closed (the firehose stops on it) */
  onClosed: (() => void) | null = null
  constructor(conn: WsConn, combined: boolean, micro: boolean) {
    this.conn = conn
    this.combined = combined
    this.micro = micro
  }
}

export class Topic {
  readonly name: string
  /** `{"stream":"<name>","data":` prefix, pre-encoded */
  private readonly prefix: Buffer
  subs: StreamSession[] = []
  msSubs = 0
  usSubs = 0
  framesPublished = 0

  constructor(name: string) {
    this.name = name
    this.prefix = Buffer.from(`{"stream":"${name}","data":`)
  }

  wants(): boolean {
    return this.subs.length > 0
  }

  add(s: StreamSession): void {
    if (this.subs.indexOf(s) >= 0) return
    this.subs.push(s)
    if (s.micro) this.usSubs++
    else this.msSubs++
  }

  remove(s: StreamSession): void {
    const i = this.subs.indexOf(s)
    if (i < 0) return
    this.subs.splice(i, 1)
    if (s.micro) this.usSubs--
    else this.msSubs--
  }

  /** Builds the combined-envelope frame of `payload`. */
  combinedFrame(payload: Buffer): Buffer {
    const body = Buffer.allocUnsafe(this.prefix.length + payload.length + 1)
    this.prefix.copy(body, 0)
    payload.copy(body, this.prefix.length)
    body[body.length - 1] = 0x7d
    return encodeTextFrame(body)
  }

  /**
   * Sends a payload to every subscriber. `ms` is the payload with millisecond
   * times, `us` with microseconds (null when identical or nobody wants it).
   */
  publish(ms: Buffer, us: Buffer | null): void {
    let rawMs: Buffer | null = null
    let combMs: Buffer | null = null
    let rawUs: Buffer | null = null
    let combUs: Buffer | null = null
    const subs = this.subs
    this.framesPublished++
    for (let i = 0; i < subs.length; i++) {
      const s = subs[i]!
      let f: Buffer
      if (s.micro && us !== null) {
        if (s.combined) f = combUs === null ? (combUs = this.combinedFrame(us)) : combUs
        else f = rawUs === null ? (rawUs = encodeTextFrame(us)) : rawUs
      } else if (s.combined) {
        f = combMs === null ? (combMs = this.combinedFrame(ms)) : combMs
      } else {
        f = rawMs === null ? (rawMs = encodeTextFrame(ms)) : rawMs
      }
      s.conn.sendFrame(f)
    }
  }
}

/** All topics by stream name. */
export class Hub {
  readonly topics = new Map<string, Topic>()

  topic(name: string): Topic {
    let t = this.topics.get(name)
    if (t === undefined) {
      t = new Topic(name)
      this.topics.set(name, t)
    }
    return t
  }

  /** The topic if anybody is subscribed, else null (the publisher's one check). */
  live(name: string): Topic | null {
    const t = this.topics.get(name)
    return t !== undefined && t.subs.length > 0 ? t : null
  }

  subscribe(s: StreamSession, name: string): void {
    const t = this.topic(name)
    t.add(s)
    s.topics.set(name, t)
  }

  unsubscribe(s: StreamSession, name: string): void {
    const t = s.topics.get(name)
    if (t === undefined) return
    t.remove(s)
    s.topics.delete(name)
  }

  dropSession(s: StreamSession): void {
    for (const t of s.topics.values()) t.remove(s)
    s.topics.clear()
  }
}
