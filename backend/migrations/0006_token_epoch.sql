-- Revocation epoch (ADR 0011): every transaction that revokes a token also adds 1 to
-- one of these 16 counters (spread so concurrent revocations on PostgreSQL do not
-- queue on one row). Their sum changes whenever any token stops being valid, so a
-- node may answer introspection from its cache while the sum it read — after the
-- request arrived — equals the sum it cached the answer under.
CREATE TABLE token_epoch (
    shard BIGINT PRIMARY KEY,
    gen   BIGINT NOT NULL
);
INSERT INTO token_epoch (shard, gen) VALUES
    (0, 0), (1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (6, 0), (7, 0),
    (8, 0), (9, 0), (10, 0), (11, 0), (12, 0), (13, 0), (14, 0), (15, 0);
