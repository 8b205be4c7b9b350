-- Payments (SPEC §6) and notifications (SPEC §8). Times are unix ms, money is BIGINT
-- minor units, never negative (CHECKs as well as the code).

-- Each app's pricing currency and its fixed rate to the settlement asset (operator-set).
CREATE TABLE app_pricing (
    app_id          TEXT PRIMARY KEY REFERENCES apps (id),
    currency        TEXT NOT NULL REFERENCES currencies (code),
    settle_currency TEXT NOT NULL REFERENCES currencies (code),
    rate            TEXT NOT NULL,
    updated_at      BIGINT NOT NULL
);

-- Merchant (app) accounts: the other side of every payment.
CREATE TABLE merchant_balances (
    app_id     TEXT NOT NULL REFERENCES apps (id),
    asset      TEXT NOT NULL REFERENCES currencies (code),
    amount     BIGINT NOT NULL DEFAULT 0 CHECK (amount >= 0),
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, asset)
);

-- Journal of merchant balance changes; with ledger_entries (users) every payment
-- is two postings that sum to zero.
CREATE TABLE merchant_entries (
    id         TEXT PRIMARY KEY,
    app_id     TEXT NOT NULL REFERENCES apps (id),
    asset      TEXT NOT NULL,
    delta      BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    reference  TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX merchant_entries_app ON merchant_entries (app_id, asset);

-- One row per attempt of a partner's trade_no. At most one attempt per (app,
-- trade_no) is pending or paid (partial unique index); failed ones stay as history.
CREATE TABLE orders (
    id              TEXT PRIMARY KEY,
    app_id          TEXT NOT NULL REFERENCES apps (id),
    trade_no        TEXT NOT NULL,
    attempt         BIGINT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'failed')),
    fail_reason     TEXT,
    amount          BIGINT NOT NULL CHECK (amount > 0),
    currency        TEXT NOT NULL,
    price_decimals  BIGINT NOT NULL,
    settle_amount   BIGINT NOT NULL CHECK (settle_amount > 0),
    settle_currency TEXT NOT NULL,
    settle_decimals BIGINT NOT NULL,
    rate            TEXT NOT NULL,
    subject         TEXT NOT NULL,
    return_url      TEXT,
    notify_url      TEXT,
    payer_open_id   TEXT,
    expire_seconds  BIGINT,
    request_hash    TEXT NOT NULL,
    payer_user_id   TEXT REFERENCES users (id),
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    paid_at         BIGINT,
    updated_at      BIGINT NOT NULL,
    UNIQUE (app_id, trade_no, attempt)
);
CREATE UNIQUE INDEX orders_live_trade_no ON orders (app_id, trade_no) WHERE status <> 'failed';
CREATE INDEX orders_pending_expiry ON orders (expires_at) WHERE status = 'pending';

-- Payment PINs: keyed hash (HMAC with a key derived from the master key), failures
-- and lock (5 wrong in a row → 15 min).
CREATE TABLE payment_pins (
    user_id      TEXT PRIMARY KEY REFERENCES users (id),
    pin_hash     TEXT NOT NULL,
    failures     BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT NOT NULL DEFAULT 0,
    updated_at   BIGINT NOT NULL
);

-- The outbox: written in the payment's transaction, delivered by the worker. A row
-- is due when status = 'pending' and next_attempt_at <= now; claiming it moves
-- next_attempt_at to the end of a lease, so a crashed node's claim becomes due again.
CREATE TABLE notifications (
    id               TEXT PRIMARY KEY,
    order_id         TEXT NOT NULL REFERENCES orders (id),
    app_id           TEXT NOT NULL REFERENCES apps (id),
    event_type       TEXT NOT NULL,
    url              TEXT NOT NULL,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'exhausted')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL,
    first_attempt_at BIGINT,
    next_attempt_at  BIGINT NOT NULL,
    lease_token      TEXT,
    delivered_at     BIGINT,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notifications_order ON notifications (order_id);

-- Every delivery attempt, for the partner's delivery log.
CREATE TABLE notification_attempts (
    notification_id TEXT NOT NULL REFERENCES notifications (id),
    attempt         BIGINT NOT NULL,
    started_at      BIGINT NOT NULL,
    latency_ms      BIGINT NOT NULL,
    http_status     BIGINT,
    error           TEXT,
    PRIMARY KEY (notification_id, attempt)
);
