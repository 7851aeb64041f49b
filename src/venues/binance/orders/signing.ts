/**
 * Binance request signing (protocol §4.2, §4.3, §9.8).
 *
 * Two payloads:
 * - REST: the query string + the body exactly as sent (parameter order as
 *   sent, percent-encoded). `restQuery()` builds that string and appends
 *   `signature=…`; Ed25519's base64 output is percent-encoded there.
 * - WS-API: every param except `signature`, sorted by name, `k=v&…`, NOT
 *   encoded, `apiKey` included. `wsApiPayload()`; the signature goes into the
 *   JSON as is (hex for HMAC, base64 for Ed25519).
 *
 * Cost per order (node-performance.md §3.2): HMAC ≈ 2 µs, Ed25519 ≈ 28 µs.
 * With an Ed25519 key the WS-API `session.logon` authenticates the connection
 * once and orders carry no signature at all (bench: `orders.sign`).
 */
import { createHmac, createPrivateKey, sign, type KeyObject } from 'node:crypto'
import { ErrorCode, TickflowError } from '../../../core/errors.js'

export const KeyType = { Hmac: 0, Ed25519: 1 } as const
export type KeyTypeValue = (typeof KeyType)[keyof typeof KeyType]

/** One request parameter; values are already the exact text to send (decimals formatted, ids as digits). */
export type Param = readonly [name: string, value: string]

export class Signer {
  readonly type: KeyTypeValue
  private readonly secret: Buffer | null
  private readonly privateKey: KeyObject | null

  private constructor(type: KeyTypeValue, secret: Buffer | null, privateKey: KeyObject | null) {
    this.type = type
    this.secret = secret
    this.privateKey = privateKey
  }

  /** An HMAC-SHA256 signer (the API secret as given by Binance). */
  static hmac(secret: string): Signer {
    if (secret === '') throw new TickflowError(ErrorCode.CONFIG_INVALID, 'HMAC secret is empty')
    return new Signer(KeyType.Hmac, Buffer.from(secret, 'utf8'), null)
  }

  /** An Ed25519 signer from a PKCS#8 PEM private key. Throws CONFIG_INVALID for any other key. */
  static ed25519(privateKeyPem: string): Signer {
    let key: KeyObject
    try {
      key = createPrivateKey(privateKeyPem)
    } catch (err) {
      throw new TickflowError(ErrorCode.CONFIG_INVALID, `cannot read the Ed25519 private key: ${(err as Error).message}`, { cause: err })
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new TickflowError(ErrorCode.CONFIG_INVALID, `expected an Ed25519 private key, got ${key.asymmetricKeyType}`)
    return new Signer(KeyType.Ed25519, null, key)
  }

  /** The raw signature text: lowercase hex (HMAC) or base64 (Ed25519). */
  sign(payload: string): string {
    if (this.type === KeyType.Hmac) return createHmac('sha256', this.secret!).update(payload, 'utf8').digest('hex')
    return sign(null, Buffer.from(payload, 'utf8'), this.privateKey!).toString('base64')
  }

  /** The signature as it goes into a REST query/body (Ed25519 base64 percent-encoded). */
  signForRest(payload: string): string {
    const s = this.sign(payload)
    return this.type === KeyType.Hmac ? s : encodeURIComponent(s)
  }
}

/** Percent-encodes a REST parameter value (RFC 3986 unreserved set kept). */
export function encodeParam(v: string): string {
  return encodeURIComponent(v)
}

/** `k=v&k=v` of `params` in the given order, percent-encoded: the REST payload as sent. */
export function restPayload(params: readonly Param[]): string {
  let s = ''
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!
    if (i > 0) s += '&'
    s += p[0] + '=' + encodeParam(p[1])
  }
  return s
}

/** The signed REST query: the payload plus `&signature=…`. */
export function restQuery(params: readonly Param[], signer: Signer): string {
  const payload = restPayload(params)
  return `${payload}&signature=${signer.signForRest(payload)}`
}

/** The WS-API signing payload: params except `signature`, sorted by name, not encoded. */
export function wsApiPayload(params: Record<string, string | number | boolean>): string {
  const keys = Object.keys(params).sort()
  let s = ''
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!
    if (k === 'signature') continue
    if (s !== '') s += '&'
    s += k + '=' + String(params[k])
  }
  return s
}
