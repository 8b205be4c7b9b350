-- Single-node (SQLite) replay protection keeps seen nonces in memory and appends them
-- here, to be read back at start (ADR 0003). Append-only: no unique index, so writes
-- stay sequential. Several nodes (PostgreSQL) use request_nonces instead.
CREATE TABLE request_nonce_log (
    seen_at    BIGINT NOT NULL,
    access_key TEXT NOT NULL,
    nonce      TEXT NOT NULL
);
CREATE INDEX request_nonce_log_seen ON request_nonce_log (seen_at);
