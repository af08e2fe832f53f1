-- Launch tokens are stored by the SHA-256 of their value: a copy of the database does not
-- hand out usable launch tokens.
CREATE TABLE launch_tokens (
    token_hash       TEXT    PRIMARY KEY,
    agent_name       TEXT    NOT NULL,
    allowed_scope    TEXT    NOT NULL,  -- JSON array
    allowed_audience TEXT    NOT NULL,  -- JSON array, empty = any
    max_ttl          INTEGER NOT NULL,
    single_use       INTEGER NOT NULL,
    created_by       TEXT    NOT NULL,
    created_at_ms    INTEGER NOT NULL,
    expires_at_ms    INTEGER NOT NULL,
    use_count        INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX launch_tokens_expiry ON launch_tokens (expires_at_ms);

CREATE TABLE nonces (
    nonce          TEXT    PRIMARY KEY,
    expires_at_ms  INTEGER NOT NULL,
    consumed       INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX nonces_expiry ON nonces (expires_at_ms);

CREATE TABLE agents (
    agent_id          TEXT    PRIMARY KEY,
    orch_id           TEXT    NOT NULL,
    task_id           TEXT    NOT NULL,
    agent_name        TEXT    NOT NULL,
    public_key        BLOB    NOT NULL,
    launch_token_hash TEXT    NOT NULL,
    scope             TEXT    NOT NULL,  -- JSON array: the scope granted at registration
    audience          TEXT    NOT NULL,
    max_ttl           INTEGER NOT NULL,
    created_at_ms     INTEGER NOT NULL
) STRICT;

-- One row per revocation. level: token | agent | task | chain. Kept until every token it
-- could match has expired (expires_at_ms), then purged.
CREATE TABLE revocations (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    level          TEXT    NOT NULL,
    target         TEXT    NOT NULL,
    reason         TEXT    NOT NULL,
    revoked_at_ms  INTEGER NOT NULL,
    expires_at_ms  INTEGER NOT NULL,
    UNIQUE (level, target)
) STRICT;
CREATE INDEX revocations_expiry ON revocations (expires_at_ms);

CREATE TABLE audit_events (
    seq               INTEGER PRIMARY KEY,
    id                TEXT    NOT NULL UNIQUE,
    timestamp_ms      INTEGER NOT NULL,
    event_type        TEXT    NOT NULL,
    agent_id          TEXT    NOT NULL,
    task_id           TEXT    NOT NULL,
    orch_id           TEXT    NOT NULL,
    detail            TEXT    NOT NULL,
    resource          TEXT    NOT NULL,
    outcome           TEXT    NOT NULL,
    deleg_depth       INTEGER NOT NULL,
    deleg_chain_hash  TEXT    NOT NULL,
    prev_hash         TEXT    NOT NULL,
    hash              TEXT    NOT NULL
) STRICT;
CREATE INDEX audit_events_agent ON audit_events (agent_id, seq);
CREATE INDEX audit_events_type ON audit_events (event_type, seq);
CREATE INDEX audit_events_time ON audit_events (timestamp_ms);
