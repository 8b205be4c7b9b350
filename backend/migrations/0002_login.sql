-- Login with OpenGate (SPEC §5): H5 sessions, login throttling, stable per-company and
-- per-app user ids, pending authorize requests, consent records, codes and tokens.
-- Every secret-bearing value (session id, code, token) is stored as its SHA-256 hex.

CREATE TABLE h5_sessions (
    id_hash      TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    csrf_token   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX h5_sessions_user ON h5_sessions (user_id);

CREATE TABLE login_failures (
    subject      TEXT PRIMARY KEY,
    failures     BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    locked_until BIGINT NOT NULL
);

ALTER TABLE users ADD COLUMN used_directly BIGINT NOT NULL DEFAULT 0;

CREATE TABLE union_ids (
    user_id    TEXT NOT NULL REFERENCES users (id),
    company_id TEXT NOT NULL REFERENCES companies (id),
    union_id   TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, company_id)
);

CREATE TABLE open_ids (
    user_id    TEXT NOT NULL REFERENCES users (id),
    app_id     TEXT NOT NULL REFERENCES apps (id),
    open_id    TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, app_id)
);

CREATE TABLE auth_requests (
    id             TEXT PRIMARY KEY,
    app_id         TEXT NOT NULL REFERENCES apps (id),
    redirect_uri   TEXT NOT NULL,
    scopes         TEXT NOT NULL,
    state          TEXT,
    device_id      TEXT,
    code_challenge TEXT,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT
);

-- What a user has consented to for an app; deleted when the user revokes the app.
CREATE TABLE grants (
    user_id    TEXT NOT NULL REFERENCES users (id),
    app_id     TEXT NOT NULL REFERENCES apps (id),
    scopes     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, app_id)
);

CREATE TABLE auth_codes (
    code_hash      TEXT PRIMARY KEY,
    app_id         TEXT NOT NULL REFERENCES apps (id),
    user_id        TEXT NOT NULL REFERENCES users (id),
    redirect_uri   TEXT NOT NULL,
    scopes         TEXT NOT NULL,
    device_id      TEXT NOT NULL,
    code_challenge TEXT,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT
);

-- One family per code exchange; refresh rotation stays in the family. Revoking the
-- family (reuse detection, code replay, user revocation) kills every token in it.
CREATE TABLE token_families (
    id         TEXT PRIMARY KEY,
    app_id     TEXT NOT NULL REFERENCES apps (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    code_hash  TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX token_families_user_app ON token_families (user_id, app_id);
CREATE INDEX token_families_code ON token_families (code_hash);

CREATE TABLE access_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id  TEXT NOT NULL REFERENCES token_families (id),
    scopes     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX access_tokens_family ON access_tokens (family_id);

CREATE TABLE refresh_tokens (
    token_hash  TEXT PRIMARY KEY,
    family_id   TEXT NOT NULL REFERENCES token_families (id),
    -- The access token issued together with this refresh token (revoked on refresh).
    access_hash TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    revoked_at BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- Single-node (SQLite) replay protection keeps seen nonces in memory and appends them
-- here, to be read back at start (ADR 0003). Append-only: no unique index, so writes
-- stay sequential.
CREATE TABLE request_nonce_log (
    seen_at    BIGINT NOT NULL,
    access_key TEXT NOT NULL,
    nonce      TEXT NOT NULL
);
CREATE INDEX request_nonce_log_seen ON request_nonce_log (seen_at);
