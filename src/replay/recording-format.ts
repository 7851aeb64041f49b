/**
 * The run-recording format (`.tfrec`): every merged event of a live run, with
 * its global sequence number and source, in the order the dispatcher
 * published it. docs/recording.md has the long form; this file is the one
 * place where offsets and sizes are defined (writer and reader share it).
 *
 *   file   = file header (32 B) · block*                      (all little-endian)
 *   block  = block header (24 B) · record* (payloadBytes)     (one write per block)
 *   record = 8-byte aligned, its length in its own header
 *
 *   file header   0 magic "\x89TFREC\r\n" (8) · 8 u16 version · 10 u8 ordering (0 arrival, 1 event-time)
 *                 11 u8 flags (bit0 consolidated BBO) · 12 u32 0 · 16 f64 startedAtUs · 24 u32 0 · 28 u32 0
 *   block header  0 u32 'TFB1' · 4 u32 payloadBytes · 8 u32 records · 12 u32 crc32(payload)
 *                 16 u32 flags (bit0: holds dictionary records) · 20 u32 0
 *   dictionary    0 u8 type (1 source, 2 venue, 3 instrument) · 4 u32 recordBytes · 8 u32 id · 12 u32 textBytes
 *                 16 text (UTF-8: the name; an instrument's InstrumentSpec as JSON), zero-padded to 8
 *   event         0 u8 type 4 · 1 u8 kind · 2 u8 flags (1 snapshot, 2 late, 4 bar closed)
 *                 3 u8 aggressor (Trade) / reason (status kinds) · 4 u32 recordBytes · 8 f64 seq
 *                 16 u32 instrumentId (Bbo: canonicalId) · 20 u16 sourceId · 22 u16 venueId
 *                 24 u8 priceScale · 25 u8 qtyScale · 26 u8 quoteScale · 27 u8 0 · 28 u32 0
 *                 32 f64 tsEventUs · 40 f64 tsRecvUs · 48 f64 tsTradeUs · 56 f64 venueSeq · 64 body
 *   end           0 u8 type 5 · 4 u32 32 · 8 f64 events · 16 f64 lastSeq · 24 f64 endedAtUs
 *
 * Bodies (f64 each unless said): Trade priceM qtyM firstTradeId lastTradeId ·
 * Quote bidPxM bidQtyM askPxM askQtyM · BookDelta u32 bidCount u32 askCount,
 * firstUpdateId prevUpdateId, bidPxs[bidCount] bidQtys[bidCount]
 * askPxs[askCount] askQtys[askCount] · Bar barStartUs barEndUs barIntervalSec
 * openM highM lowM closeM volumeM quoteVolumeM barTrades · BookInvalidated,
 * BookResynced, TradeGap gapFrom gapTo · Bbo bidPxM bidQtyM askPxM askQtyM
 * bidVenueId askVenueId.
 *
 * Every value a mantissa, id or µs time is an integer in the safe range, so
 * f64 holds it exactly. Fixed layouts and 8-byte alignment let the writer fill
 * records through typed-array views (no DataView, no per-field bounds logic).
 */
import { EventKind } from '../model/events.js'

/** First 8 bytes of every recording (PNG-style: a high byte, then CR LF to catch text-mode mangling). */
export const RECORDING_MAGIC: readonly number[] = [0x89, 0x54, 0x46, 0x52, 0x45, 0x43, 0x0d, 0x0a]
export const RECORDING_VERSION = 1
/** the usual file extension */
export const RECORDING_EXTENSION = '.tfrec'

export const FILE_HEADER_BYTES = 32
export const BLOCK_HEADER_BYTES = 24
/** 'TFB1' read as a little-endian u32 */
export const BLOCK_MAGIC = 0x31424654
export const BLOCK_FLAG_DICTIONARY = 1
/** A reader refuses blocks larger than this (a corrupt length must not allocate gigabytes). */
export const MAX_BLOCK_PAYLOAD = 256 * 1024 * 1024

export const FileFlag = { ConsolidatedBbo: 1 } as const
export const ORDERING_CODES = { arrival: 0, 'event-time': 1 } as const
export const ORDERING_NAMES: readonly ('arrival' | 'event-time')[] = ['arrival', 'event-time']

export const RecordType = { Source: 1, Venue: 2, Instrument: 3, Event: 4, End: 5 } as const

export const EventFlag = { Snapshot: 1, Late: 2, BarClosed: 4 } as const

export const DICT_HEADER_BYTES = 16
export const EVENT_HEADER_BYTES = 64
export const END_RECORD_BYTES = 32

/** Body bytes of an event record of `kind` (BookDelta: without its levels). */
export function eventBodyBytes(kind: number): number {
  switch (kind) {
    case EventKind.Trade:
    case EventKind.Quote:
      return 32
    case EventKind.BookDelta:
      return 24
    case EventKind.Bar:
      return 80
    case EventKind.BookInvalidated:
    case EventKind.BookResynced:
    case EventKind.TradeGap:
      return 16
    case EventKind.Bbo:
      return 48
    default:
      return 0
  }
}

/** Total bytes of an event record. */
export function eventRecordBytes(kind: number, bidCount: number, askCount: number): number {
  return EVENT_HEADER_BYTES + eventBodyBytes(kind) + (kind === EventKind.BookDelta ? 16 * (bidCount + askCount) : 0)
}

/** True when `head` (the first bytes of a file) starts with the recording magic. */
export function isRecordingHeader(head: Uint8Array): boolean {
  if (head.length < RECORDING_MAGIC.length) return false
  for (let i = 0; i < RECORDING_MAGIC.length; i++) if (head[i] !== RECORDING_MAGIC[i]) return false
  return true
}

/** Rounds up to a multiple of 8. */
export function align8(n: number): number {
  return (n + 7) & ~7
}
