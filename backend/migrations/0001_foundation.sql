-- One schema for SQLite and PostgreSQL: TEXT ids, BIGINT unix-ms times,
-- BIGINT minor units, BIGINT 0/1 flags (see docs/adr/0001-two-databases-one-schema.md).

CREATE TABLE users (
    id                TEXT PRIMARY KEY,
    mobile            TEXT UNIQUE,
    email             TEXT UNIQUE,
    password_hash     TEXT,
    nickname          TEXT NOT NULL,
    avatar_url        TEXT,
    trading_frozen    BIGINT NOT NULL DEFAULT 0,
    withdrawal_frozen BIGINT NOT NULL DEFAULT 0,
    status            BIGINT NOT NULL DEFAULT 0,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);

CREATE TABLE companies (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE apps (
    id                       TEXT PRIMARY KEY,
    company_id               TEXT NOT NULL REFERENCES companies (id),
    name                     TEXT NOT NULL,
    logo_url                 TEXT,
    admin_user_id            TEXT NOT NULL REFERENCES users (id),
    status                   BIGINT NOT NULL DEFAULT 0,
    notify_url               TEXT,
    notify_secret_enc        TEXT NOT NULL,
    prev_notify_secret_enc   TEXT,
    prev_notify_secret_until BIGINT,
    created_at               BIGINT NOT NULL,
    updated_at               BIGINT NOT NULL
);
CREATE INDEX apps_company ON apps (company_id);
CREATE INDEX apps_admin ON apps (admin_user_id);

CREATE TABLE app_permissions (
    app_id     TEXT NOT NULL REFERENCES apps (id),
    permission TEXT NOT NULL,
    status     TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, permission)
);

CREATE TABLE app_redirect_uris (
    app_id     TEXT NOT NULL REFERENCES apps (id),
    uri        TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, uri)
);

CREATE TABLE app_return_hosts (
    app_id     TEXT NOT NULL REFERENCES apps (id),
    host       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, host)
);

CREATE TABLE access_keys (
    access_key TEXT PRIMARY KEY,
    app_id     TEXT NOT NULL REFERENCES apps (id),
    secret_enc TEXT NOT NULL,
    enabled    BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX access_keys_app ON access_keys (app_id);

CREATE TABLE key_ip_bindings (
    access_key TEXT NOT NULL REFERENCES access_keys (access_key),
    cidr       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (access_key, cidr)
);

-- Seen nonces per key; rows older than the 900 s window are deleted by the worker
-- and may be overwritten by the upsert in storage/nonces.rs.
CREATE TABLE request_nonces (
    access_key TEXT NOT NULL,
    nonce      TEXT NOT NULL,
    seen_at    BIGINT NOT NULL,
    PRIMARY KEY (access_key, nonce)
);
CREATE INDEX request_nonces_seen ON request_nonces (seen_at);

CREATE TABLE currencies (
    code       TEXT PRIMARY KEY,
    decimals   BIGINT NOT NULL CHECK (decimals >= 0 AND decimals <= 8),
    created_at BIGINT NOT NULL
);

-- Balances in minor units; never negative, enforced by the database as well.
CREATE TABLE balances (
    user_id    TEXT NOT NULL REFERENCES users (id),
    asset      TEXT NOT NULL REFERENCES currencies (code),
    amount     BIGINT NOT NULL DEFAULT 0 CHECK (amount >= 0),
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, asset)
);

-- Append-only journal: every balance change has a row here.
CREATE TABLE ledger_entries (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    asset      TEXT NOT NULL,
    delta      BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    reference  TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ledger_entries_user ON ledger_entries (user_id, asset);
