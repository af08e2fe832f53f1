-- Credentialed clients of the broker: one entity with a kind. Apps now (kind 'app'); agents
-- with long-lived key id + secret later share this table and its hash scheme. The secret is
-- stored only as HMAC-SHA256 under a pepper kept outside the database.
CREATE TABLE clients (
    client_id                TEXT    PRIMARY KEY,
    kind                     TEXT    NOT NULL,
    entity_id                TEXT    NOT NULL UNIQUE,
    name                     TEXT    NOT NULL,
    secret_hash              BLOB    NOT NULL,
    previous_secret_hash     BLOB,
    previous_valid_until_ms  INTEGER,
    scopes                   TEXT    NOT NULL,  -- JSON array: the grant (for an app, its launch-token ceiling)
    token_ttl                INTEGER NOT NULL,
    status                   TEXT    NOT NULL,  -- active | inactive
    created_at_ms            INTEGER NOT NULL,
    updated_at_ms            INTEGER NOT NULL,
    UNIQUE (kind, name)
) STRICT;

-- Which app (if any) created a launch token, and so the agents registered with it.
ALTER TABLE launch_tokens ADD COLUMN app_id TEXT NOT NULL DEFAULT '';
ALTER TABLE agents ADD COLUMN app_id TEXT NOT NULL DEFAULT '';
