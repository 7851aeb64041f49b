/**
 * The journal's SQLite schema (version 1). Mantissas are INTEGER (exact, up
 * to 2^53 by construction); the same values are also stored as decimal TEXT
 * for people and the CLI. Times are epoch microseconds.
 *
 * Exactly-once fills: UNIQUE (client_order_id, trade_id). The key is per
 * order and not per (venue, symbol, trade id) because a self-trade gives both
 * of our orders the same venue trade id.
 */
export const SCHEMA_VERSION = 1

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS strategies (
  strategy_id INTEGER PRIMARY KEY,
  name        TEXT NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS orders (
  client_order_id TEXT PRIMARY KEY,
  venue           TEXT NOT NULL,
  symbol          TEXT NOT NULL,
  strategy_id     INTEGER NOT NULL,
  side            INTEGER NOT NULL,
  type            INTEGER NOT NULL,
  time_in_force   INTEGER NOT NULL,
  price_scale     INTEGER NOT NULL,
  qty_scale       INTEGER NOT NULL,
  price_m         INTEGER NOT NULL,
  qty_m           INTEGER NOT NULL,
  quote_qty_m     INTEGER NOT NULL,
  price           TEXT NOT NULL,
  qty             TEXT NOT NULL,
  reduce_only     INTEGER NOT NULL,
  tag             TEXT NOT NULL,
  venue_order_id  INTEGER NOT NULL DEFAULT 0,
  status          INTEGER NOT NULL,
  cum_qty_m       INTEGER NOT NULL DEFAULT 0,
  fill_qty_m      INTEGER NOT NULL DEFAULT 0,
  reason_code     TEXT NOT NULL DEFAULT '',
  created_us      INTEGER NOT NULL,
  updated_us      INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS orders_status ON orders (status);
CREATE INDEX IF NOT EXISTS orders_created ON orders (created_us);
CREATE INDEX IF NOT EXISTS orders_strategy ON orders (strategy_id, created_us);

CREATE TABLE IF NOT EXISTS transitions (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  client_order_id TEXT NOT NULL,
  exec_type       INTEGER NOT NULL,
  from_status     INTEGER NOT NULL,
  to_status       INTEGER NOT NULL,
  venue_order_id  INTEGER NOT NULL,
  cum_qty_m       INTEGER NOT NULL,
  last_qty_m      INTEGER NOT NULL,
  last_px_m       INTEGER NOT NULL,
  trade_id        INTEGER NOT NULL,
  reason_code     TEXT NOT NULL,
  reason_text     TEXT NOT NULL,
  ts_event_us     INTEGER NOT NULL,
  ts_recv_us      INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS transitions_order ON transitions (client_order_id, seq);

CREATE TABLE IF NOT EXISTS fills (
  seq              INTEGER PRIMARY KEY AUTOINCREMENT,
  client_order_id  TEXT NOT NULL,
  trade_id         INTEGER NOT NULL,
  venue            TEXT NOT NULL,
  symbol           TEXT NOT NULL,
  strategy_id      INTEGER NOT NULL,
  venue_order_id   INTEGER NOT NULL,
  side             INTEGER NOT NULL,
  price_scale      INTEGER NOT NULL,
  qty_scale        INTEGER NOT NULL,
  px_m             INTEGER NOT NULL,
  qty_m            INTEGER NOT NULL,
  price            TEXT NOT NULL,
  qty              TEXT NOT NULL,
  commission       TEXT NOT NULL,
  commission_asset TEXT NOT NULL,
  is_maker         INTEGER NOT NULL,
  ts_event_us      INTEGER NOT NULL,
  ts_recv_us       INTEGER NOT NULL,
  UNIQUE (client_order_id, trade_id)
) STRICT;
CREATE INDEX IF NOT EXISTS fills_time ON fills (ts_recv_us);
CREATE INDEX IF NOT EXISTS fills_symbol ON fills (venue, symbol, trade_id);

CREATE TABLE IF NOT EXISTS positions (
  strategy_id INTEGER NOT NULL,
  venue       TEXT NOT NULL,
  symbol      TEXT NOT NULL,
  qty_scale   INTEGER NOT NULL,
  position_m  INTEGER NOT NULL,
  updated_us  INTEGER NOT NULL,
  PRIMARY KEY (strategy_id, venue, symbol)
) STRICT;

CREATE TABLE IF NOT EXISTS balances (
  venue      TEXT NOT NULL,
  asset      TEXT NOT NULL,
  free       TEXT NOT NULL,
  locked     TEXT NOT NULL,
  updated_us INTEGER NOT NULL,
  PRIMARY KEY (venue, asset)
) STRICT;
`
