-- Refunds (SPEC §13). Money is BIGINT minor units; times are unix ms.

-- What was refunded of each order so far, in its pricing currency and in the
-- settlement asset. A refund reserves its part with one guarded UPDATE of these
-- (refunded_amount + refund <= amount), which is what keeps many concurrent refunds
-- of one order from ever adding up to more than was paid.
ALTER TABLE orders ADD COLUMN refunded_amount BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN refunded_settle BIGINT NOT NULL DEFAULT 0;

-- One row per refund_no of an app. `pending` only while a partner source has not
-- answered its credit (balance-paid orders are refunded in one transaction);
-- `failed` only when the source refused for good (the money went back to the
-- merchant and the order's reservation was released).
CREATE TABLE refunds (
    id              TEXT PRIMARY KEY,
    app_id          TEXT NOT NULL REFERENCES apps (id),
    refund_no       TEXT NOT NULL,
    order_id        TEXT NOT NULL REFERENCES orders (id),
    trade_no        TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    fail_reason     TEXT,
    amount          BIGINT NOT NULL CHECK (amount > 0),
    currency        TEXT NOT NULL,
    price_decimals  BIGINT NOT NULL,
    settle_amount   BIGINT NOT NULL CHECK (settle_amount >= 0),
    settle_currency TEXT NOT NULL,
    settle_decimals BIGINT NOT NULL,
    reason          TEXT,
    request_hash    TEXT NOT NULL,
    -- Who gets the money back: the payer's platform balance, or (source-paid
    -- orders) the source, in its currency, under the original debit.
    user_id         TEXT REFERENCES users (id),
    deduction_id    TEXT,
    source_amount   BIGINT,
    attempts        BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    refunded_at     BIGINT,
    updated_at      BIGINT NOT NULL,
    UNIQUE (app_id, refund_no)
);
CREATE INDEX refunds_order ON refunds (order_id, created_at);
CREATE INDEX refunds_pending ON refunds (updated_at) WHERE status = 'pending';
CREATE INDEX refunds_settled ON refunds (app_id, refunded_at);

-- Sources that take refunds back: a signed, idempotent credit (see pay::refund).
ALTER TABLE sources ADD COLUMN refund_url TEXT;
