/**
 * Request authentication (protocol §4.2, §4.3): API keys, HMAC-SHA256 and
 * Ed25519 signatures over the REST payload (query string + body as sent,
 * `signature` removed) or the WS-API payload (params sorted by name, not
 * encoded, apiKey included), and the timing rules:
 *
 *   accept if  timestamp < serverTime + aheadTolerance (1000 ms)
 *         and  serverTime - timestamp <= recvWindow (default 5000, max 60000)
 *
 * The simulator is stricter than Binance in one respect, on purpose (issue 9):
 * a signature already seen for the same method and path within the last
 * 61 s is rejected (-1021), so a captured request cannot be replayed.
 */
import { createHmac, createPublicKey, timingSafeEqual, verify, type KeyObject } from 'node:crypto'
import { Err } from './wire.js'

export const KeyKind = { Hmac: 0, Ed25519: 1 } as const
export type KeyKindValue = (typeof KeyKind)[keyof typeof KeyKind]

export interface KeyMaterial {
  kind: KeyKindValue
  /** HMAC secret (bytes of the string) */
  secret: Buffer | null
  /** Ed25519 public key */
  publicKey: KeyObject | null
}

export function hmacKey(secret: string): KeyMaterial {
  return { kind: KeyKind.Hmac, secret: Buffer.from(secret, 'utf8'), publicKey: null }
}

export function ed25519Key(pem: string): KeyMaterial {
  const k = createPublicKey(pem)
  if (k.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 public key')
  return { kind: KeyKind.Ed25519, secret: null, publicKey: k }
}

/** HMAC-SHA256 hex of `payload` (what clients compute). */
export function hmacHex(secret: string | Buffer, payload: string): string {
  return createHmac('sha256', secret).update(payload, 'utf8').digest('hex')
}

/** Verifies `signature` (hex for HMAC, base64 for Ed25519) over `payload`. */
export function verifySignature(key: KeyMaterial, payload: string, signature: string): boolean {
  if (key.kind === KeyKind.Hmac) {
    if (!/^[0-9a-fA-F]{64}$/.test(signature)) return false
    const want = createHmac('sha256', key.secret!).update(payload, 'utf8').digest()
    return timingSafeEqual(want, Buffer.from(signature, 'hex'))
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return false
  const sig = Buffer.from(signature, 'base64')
  if (sig.length !== 64) return false
  try {
    return verify(null, Buffer.from(payload, 'utf8'), key.publicKey!, sig)
  } catch {
    return false
  }
}

/** Removes the `signature=…` parameter from a raw urlencoded string, keeping the rest as sent. */
export function stripSignature(raw: string): { rest: string; signature: string | null } {
  if (raw === '') return { rest: '', signature: null }
  const parts = raw.split('&')
  let sig: string | null = null
  const keep: string[] = []
  for (const p of parts) {
    if (p.startsWith('signature=')) sig = p.slice(10)
    else keep.push(p)
  }
  return { rest: keep.join('&'), signature: sig }
}

/** The REST signing payload: query string + body as sent, without the signature parameter. */
export function restPayload(rawQuery: string, rawBody: string): string {
  return stripSignature(rawQuery).rest + stripSignature(rawBody).rest
}

/** The WS-API signing payload: params except `signature`, sorted by name, `k=v&…`, not encoded. */
export function wsApiPayload(params: Record<string, unknown>): string {
  return Object.keys(params)
    .filter((k) => k !== 'signature')
    .sort()
    .map((k) => `${k}=${paramText(params[k])}`)
    .join('&')
}

/** A JSON param value as the text a client signs. */
export function paramText(v: unknown): string {
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return JSON.stringify(v)
}

/**
 * Checks `timestamp` (ms, or µs when it has 16 digits) and `recvWindow`
 * (ms, up to 3 decimals) against the server time. Throws -1021 / -1102 / -1131.
 */
export function checkTiming(timestampText: string | null, recvWindowText: string | null, nowMs: number, aheadToleranceMs: number): void {
  if (timestampText === null || timestampText === '') throw Err.mandatory('timestamp')
  if (!/^\d{1,16}$/.test(timestampText)) throw Err.illegalChars('timestamp')
  let ts = Number.parseInt(timestampText, 10)
  if (timestampText.length >= 16) ts = ts / 1000
  let recvWindow = 5000
  if (recvWindowText !== null && recvWindowText !== '') {
    if (!/^\d{1,6}(\.\d{1,3})?$/.test(recvWindowText)) throw Err.illegalChars('recvWindow')
    recvWindow = Number(recvWindowText)
    if (recvWindow > 60000) throw Err.recvWindowTooBig()
  }
  if (ts >= nowMs + aheadToleranceMs) throw Err.timestampAhead()
  if (nowMs - ts > recvWindow) throw Err.timestampOutside()
}

/** Remembers signatures for 61 s to reject replays. */
export class ReplayGuard {
  private cur = new Set<string>()
  private prev = new Set<string>()
  private rotatedAtMs = 0
  rejected = 0

  /** true when new (and records it); false for a replay. `key` = method, path and signature. */
  check(key: string, nowMs: number): boolean {
    const signature = key
    if (nowMs - this.rotatedAtMs >= 122_000) {
      this.prev = new Set()
      this.cur = new Set()
      this.rotatedAtMs = nowMs
    } else if (nowMs - this.rotatedAtMs >= 61_000) {
      this.prev = this.cur
      this.cur = new Set()
      this.rotatedAtMs = nowMs
    }
    const s = signature.toLowerCase()
    if (this.cur.has(s) || this.prev.has(s)) {
      this.rejected++
      return false
    }
    this.cur.add(s)
    return true
  }
}
