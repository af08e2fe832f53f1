-- The whole schema of the SQLite store as of its migration 0005, in PostgreSQL types: lists are
-- text[], flags boolean, instants Unix ms in bigint. Identifiers that lists are ordered by use the
-- "C" collation, so every server orders them by code point, as SQLite does, whatever its locale.

-- Launch tokens are stored by the SHA-256 of their value: a copy of the database does not
-- hand out usable launch tokens.
CREATE TABLE launch_tokens (
    token_hash       text    PRIMARY KEY,
    agent_name       text    NOT NULL,
    allowed_scope    text[]  NOT NULL,
    allowed_audience text[]  NOT NULL,  -- empty = any
    max_ttl          integer NOT NULL,
    single_use       boolean NOT NULL,
    created_by       text    NOT NULL,
    created_at_ms    bigint  NOT NULL,
    expires_at_ms    bigint  NOT NULL,
    use_count        integer NOT NULL DEFAULT 0,
    app_id           text    NOT NULL DEFAULT ''
);
CREATE INDEX launch_tokens_expiry ON launch_tokens (expires_at_ms);

CREATE TABLE nonces (
    nonce          text    PRIMARY KEY,
    expires_at_ms  bigint  NOT NULL,
    consumed       boolean NOT NULL DEFAULT false
);
CREATE INDEX nonces_expiry ON nonces (expires_at_ms);

CREATE TABLE agents (
    agent_id          text    PRIMARY KEY,
    orch_id           text    NOT NULL,
    task_id           text    NOT NULL,
    agent_name        text    NOT NULL,
    public_key        bytea   NOT NULL,
    launch_token_hash text    NOT NULL,
    scope             text[]  NOT NULL,  -- the scope granted at registration
    audience          text[]  NOT NULL,
    max_ttl           integer NOT NULL,
    created_at_ms     bigint  NOT NULL,
    -- An agent revoked at agent level stays revoked for good, even after its revocation entry
    -- leaves the feed (its tokens have all expired by then).
    status            text    NOT NULL DEFAULT 'active',
    app_id            text    NOT NULL DEFAULT ''
);

-- One row per revocation, kept until every token it could match has expired (expires_at_ms).
-- seq is the feed cursor: an identity never hands a number out twice, and appends are
-- serialised (see PostgreSqlRevocationStore) so that seq order is also commit order.
CREATE TABLE revocations (
    seq            bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    level          text    NOT NULL,
    target         text    NOT NULL,
    reason         text    NOT NULL,
    revoked_at_ms  bigint  NOT NULL,
    expires_at_ms  bigint  NOT NULL,
    UNIQUE (level, target)
);
CREATE INDEX revocations_expiry ON revocations (expires_at_ms);

CREATE TABLE audit_events (
    seq               bigint  PRIMARY KEY,
    id                text    NOT NULL UNIQUE,
    timestamp_ms      bigint  NOT NULL,
    event_type        text    NOT NULL,
    agent_id          text    NOT NULL,
    task_id           text    NOT NULL,
    orch_id           text    NOT NULL,
    detail            text    NOT NULL,
    resource          text    NOT NULL,
    outcome           text    NOT NULL,
    deleg_depth       integer NOT NULL,
    deleg_chain_hash  text    NOT NULL,
    prev_hash         text    NOT NULL,
    hash              text    NOT NULL
);
CREATE INDEX audit_events_agent ON audit_events (agent_id, seq);
CREATE INDEX audit_events_type ON audit_events (event_type, seq);
CREATE INDEX audit_events_time ON audit_events (timestamp_ms);
CREATE INDEX audit_events_task ON audit_events (task_id, seq);
CREATE INDEX audit_events_outcome ON audit_events (outcome, seq);

-- The chain head, one row. Every append locks it (SELECT ... FOR UPDATE) for its transaction:
-- appenders in any number of processes take turns, so the chain stays one line.
CREATE TABLE audit_head (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    seq        bigint  NOT NULL,
    hash       text    NOT NULL
);
INSERT INTO audit_head (seq, hash) VALUES (0, repeat('0', 64));  -- the genesis hash

-- Signed checkpoints of the audit chain head, so cutting the tail of the chain is detectable offline.
CREATE TABLE audit_checkpoints (
    seq            bigint  PRIMARY KEY,
    hash           text    NOT NULL,
    kid            text    NOT NULL,
    alg            text    NOT NULL,
    signature      text    NOT NULL,
    created_at_ms  bigint  NOT NULL
);

-- Credentialed clients: apps, agents with standing credentials, platforms. The secret is stored
-- only as HMAC-SHA256 under a pepper kept outside the database.
CREATE TABLE clients (
    client_id                text COLLATE "C" PRIMARY KEY,
    kind                     text    NOT NULL,
    entity_id                text    NOT NULL UNIQUE,
    name                     text    NOT NULL,
    secret_hash              bytea   NOT NULL,
    previous_secret_hash     bytea,
    previous_valid_until_ms  bigint,
    scopes                   text[]  NOT NULL,
    token_ttl                integer NOT NULL,
    status                   text    NOT NULL,
    created_at_ms            bigint  NOT NULL,
    updated_at_ms            bigint  NOT NULL,
    owner                    text    NOT NULL DEFAULT '',
    metadata                 text    NOT NULL DEFAULT '{}',  -- JSON object of strings, kept as written
    jwks                     text    NOT NULL DEFAULT '',    -- public keys for private_key_jwt, JSON
    secret_enabled           boolean NOT NULL DEFAULT true,
    consecutive_denials      integer NOT NULL DEFAULT 0,
    status_reason            text    NOT NULL DEFAULT '',
    UNIQUE (kind, name)
);
CREATE INDEX clients_by_kind ON clients (kind, created_at_ms, client_id);

CREATE TABLE platforms (
    platform_id    text COLLATE "C" PRIMARY KEY,
    name           text    NOT NULL,
    hostnames      text[]  NOT NULL,  -- lowercase
    scopes         text[]  NOT NULL,  -- the scopes the platform defines
    routes         text    NOT NULL,  -- JSON array of route rules, kept as written
    token_profile  text    NOT NULL,  -- tessera | mudraid
    version        integer NOT NULL,
    created_at_ms  bigint  NOT NULL,
    updated_at_ms  bigint  NOT NULL
);

CREATE TABLE grants (
    agent_id       text COLLATE "C" NOT NULL,
    platform_id    text COLLATE "C" NOT NULL REFERENCES platforms (platform_id) ON DELETE CASCADE,
    scopes         text[]  NOT NULL,
    created_at_ms  bigint  NOT NULL,
    updated_at_ms  bigint  NOT NULL,
    PRIMARY KEY (agent_id, platform_id)
);
CREATE INDEX grants_by_platform ON grants (platform_id, agent_id);

-- Client assertion ids (RFC 7523 jti) already used, kept until the assertion expires.
CREATE TABLE used_assertions (
    jti_key        text    PRIMARY KEY,  -- client_id + ' ' + jti
    expires_at_ms  bigint  NOT NULL
);
CREATE INDEX used_assertions_expiry ON used_assertions (expires_at_ms);
