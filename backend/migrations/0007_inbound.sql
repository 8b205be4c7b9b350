-- Partner users coming in (SPEC §9): sources, their users, joint-login links, used
-- import links, and debits in a source's own currency.

-- Accounts created by a source carry its code, the channel codes given with them,
-- and (imports without a mobile) the partner's user name.
ALTER TABLE users ADD COLUMN username TEXT;
ALTER TABLE users ADD COLUMN source TEXT;
ALTER TABLE users ADD COLUMN channel TEXT;
CREATE INDEX users_username ON users (username);

-- A partner site. `trust`: 'new_users' (auto-login only accounts this source made
-- and nobody used directly) or 'partner_users' (any account never used directly).
-- `adapter` is 'jsonapi' or 'json'; `adapter_config` is JSON (JSON Pointers for
-- 'json'). `app_id`: the app whose joint-login calls may name this source.
CREATE TABLE sources (
    code           TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    secret_enc     TEXT NOT NULL,
    trust          TEXT NOT NULL CHECK (trust IN ('new_users', 'partner_users')),
    app_id         TEXT REFERENCES apps (id),
    adapter        TEXT NOT NULL CHECK (adapter IN ('jsonapi', 'json')),
    adapter_config TEXT NOT NULL,
    user_url       TEXT,
    deduct_url     TEXT,
    currency       TEXT REFERENCES currencies (code),
    rate           TEXT,
    status         BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

-- Who a source's user is on the platform (the partner's own id → our account).
CREATE TABLE source_users (
    source      TEXT NOT NULL REFERENCES sources (code),
    external_id TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (source, external_id)
);
CREATE INDEX source_users_user ON source_users (user_id);

-- Joint-login links: only the SHA-256 of the token is kept; single use, 5 minutes.
CREATE TABLE joint_links (
    token_hash  TEXT PRIMARY KEY,
    source      TEXT NOT NULL REFERENCES sources (code),
    app_id      TEXT NOT NULL REFERENCES apps (id),
    external_id TEXT NOT NULL,
    mobile      TEXT NOT NULL,
    channel     TEXT NOT NULL,
    extra       TEXT,
    target      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);

-- Signatures of import links already used, kept until the link could no longer pass
-- the age check anyway.
CREATE TABLE import_links_used (
    source     TEXT NOT NULL,
    sig        TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (source, sig)
);
CREATE INDEX import_links_used_expiry ON import_links_used (expires_at);

-- A debit in a source's currency paying an order. `id` is the idempotency key the
-- partner sees: every retry of one debit carries it. At most one debit per order is
-- live (pending or succeeded); a refused one leaves room for another try.
CREATE TABLE deductions (
    id          TEXT PRIMARY KEY,
    order_id    TEXT NOT NULL REFERENCES orders (id),
    source      TEXT NOT NULL REFERENCES sources (code),
    user_id     TEXT NOT NULL REFERENCES users (id),
    external_id TEXT NOT NULL,
    amount      BIGINT NOT NULL CHECK (amount > 0),
    currency    TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts    BIGINT NOT NULL DEFAULT 0,
    last_error  TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
-- While a debit is in flight the order names it: nothing else may pay, close or
-- expire the order (the partner may already have taken the money).
ALTER TABLE orders ADD COLUMN deduction_id TEXT;

CREATE UNIQUE INDEX deductions_live ON deductions (order_id) WHERE status <> 'failed';
CREATE INDEX deductions_pending ON deductions (updated_at) WHERE status = 'pending';
