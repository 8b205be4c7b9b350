-- OpenID Connect (SPEC §13, ADR 0014): the platform's id_token signing keys, each
-- app's choice of algorithm, and what an id_token needs to remember of a login.

-- One row per signing key. A rotation adds one key per algorithm under the next
-- generation; (alg, generation) is unique, so two nodes (or two operators) creating
-- the same generation at once make one key. A key is published in the JWKS from its
-- creation, signs from active_from on, and stays published until every id_token it
-- signed has expired (computed from the next key's active_from, never stored).
-- The private key (PKCS#1 DER for RS256, PKCS#8 DER for EdDSA, base64) is sealed
-- under the master key with associated data `oidc_key:<kid>` (ADR 0002).
CREATE TABLE oidc_keys (
    kid            TEXT PRIMARY KEY,
    alg            TEXT NOT NULL,
    generation     BIGINT NOT NULL,
    public_jwk     TEXT NOT NULL,
    private_sealed TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    active_from    BIGINT NOT NULL,
    UNIQUE (alg, generation)
);

-- An app's OpenID Connect client settings; no row means the defaults (RS256).
CREATE TABLE oidc_clients (
    app_id       TEXT PRIMARY KEY REFERENCES apps (id),
    id_token_alg TEXT NOT NULL,
    updated_at   BIGINT NOT NULL
);

-- `oidc` = 1 when the authorize request named scope `openid` itself (an OpenID
-- Connect request; `openid` is added to every grant anyway): only those logins get an
-- id_token, so plain OAuth 2.0 exchanges do not pay for a signature (ADR 0014).
ALTER TABLE auth_requests ADD COLUMN oidc BIGINT NOT NULL DEFAULT 0;
ALTER TABLE auth_codes ADD COLUMN oidc BIGINT NOT NULL DEFAULT 0;
ALTER TABLE token_families ADD COLUMN oidc BIGINT NOT NULL DEFAULT 0;
-- The authorize request's `nonce`, carried by its code into the token family, with
-- the time the user logged in (`auth_time`) and whether the partner chose the device
-- (device_bound = 1: only the signed /open/v1/user/info with X-OG-Device-Id serves it).
ALTER TABLE auth_requests ADD COLUMN nonce TEXT;
-- OIDC Core §3.1.2.1: `prompt` (space-separated) and `max_age` (seconds) of the request.
ALTER TABLE auth_requests ADD COLUMN prompt TEXT;
ALTER TABLE auth_requests ADD COLUMN max_age BIGINT;
ALTER TABLE auth_codes ADD COLUMN nonce TEXT;
ALTER TABLE auth_codes ADD COLUMN auth_time BIGINT;
ALTER TABLE auth_codes ADD COLUMN device_bound BIGINT NOT NULL DEFAULT 1;
ALTER TABLE token_families ADD COLUMN nonce TEXT;
ALTER TABLE token_families ADD COLUMN auth_time BIGINT;
ALTER TABLE token_families ADD COLUMN device_bound BIGINT NOT NULL DEFAULT 1;
