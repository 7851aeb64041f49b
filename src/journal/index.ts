/** The order journal (SQLite) and its read-only queries. */
export { SqliteJournal, type JournalOptions } from './journal.js'
export { JournalReader, type JournalFilter, type OrderRow, type FillRow, type TransitionRow } from './queries.js'
