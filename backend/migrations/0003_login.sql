-- Login (SPEC §5, §7): H5 sessions, login throttling, stable per-company and per-app
-- user ids, authorize requests, consent memory, access codes and token families.
-- Secrets (session ids, codes, tokens) are stored only as SHA-256 hex hashes.

-- One row per browser session. user_id is NULL until someone logs in (anonymous
-- sessions exist so that every state-changing call can carry a CSRF token).
CREATE TABLE h5_sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    TEXT REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX h5_sessions_expires ON h5_sessions (expires_at);
CREATE INDEX h5_sessions_user ON h5_sessions (user_id);

-- Failed password logins per account (normalised mobile or e-mail).
CREATE TABLE login_failures (
    account      TEXT PRIMARY KEY,
    failures     BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    locked_until BIGINT NOT NULL DEFAULT 0
);

-- One union_id per (user, company) and one open_id per (user, app): random, created
-- once at first consent, never changed (SPEC §2).
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

-- A checked /oauth/authorize request, kept server-side while the user logs in and
-- consents; the H5 only sees its id. Used once.
CREATE TABLE auth_requests (
    id             TEXT PRIMARY KEY,
    app_id         TEXT NOT NULL REFERENCES apps (id),
    redirect_uri   TEXT NOT NULL,
    scope          TEXT NOT NULL,
    state          TEXT,
    device_id      TEXT,
    code_challenge TEXT,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT
);
CREATE INDEX auth_requests_expires ON auth_requests (expires_at);

-- What a user has consented to per app ("Authorized apps"); deleted on revoke.
CREATE TABLE grants (
    user_id    TEXT NOT NULL REFERENCES users (id),
    app_id     TEXT NOT NULL REFERENCES apps (id),
    scope      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, app_id)
);

CREATE TABLE auth_codes (
    code_hash      TEXT PRIMARY KEY,
    app_id         TEXT NOT NULL REFERENCES apps (id),
    user_id        TEXT NOT NULL REFERENCES users (id),
    redirect_uri   TEXT NOT NULL,
    scope          TEXT NOT NULL,
    device_id      TEXT NOT NULL,
    code_challenge TEXT,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT
);
CREATE INDEX auth_codes_expires ON auth_codes (expires_at);

-- Every token descends from one code exchange: its family. Revoking the family
-- (code reuse, refresh reuse, user revoke) kills all its tokens at once.
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
    scope      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX access_tokens_family ON access_tokens (family_id);
CREATE INDEX access_tokens_expires ON access_tokens (expires_at);

CREATE TABLE refresh_tokens (
    token_hash  TEXT PRIMARY KEY,
    family_id   TEXT NOT NULL REFERENCES token_families (id),
    access_hash TEXT NOT NULL,
    scope       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,
    revoked_at  BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);

-- When the owner last logged in with a password: such an account counts as "used
-- directly" (SPEC §12, joint login).
ALTER TABLE users ADD COLUMN password_login_at BIGINT;
