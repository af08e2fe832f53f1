-- Platforms (the APIs agents call), standing agent credentials and their grants.
CREATE TABLE platforms (
    platform_id    TEXT    PRIMARY KEY,
    name           TEXT    NOT NULL,
    hostnames      TEXT    NOT NULL,  -- JSON array, lowercase
    scopes         TEXT    NOT NULL,  -- JSON array: the scopes the platform defines
    routes         TEXT    NOT NULL,  -- JSON array of route rules, rendered as its scopes file
    token_profile  TEXT    NOT NULL,  -- tessera | mudraid
    version        INTEGER NOT NULL,
    created_at_ms  INTEGER NOT NULL,
    updated_at_ms  INTEGER NOT NULL
) STRICT;

-- Which scopes a credentialed agent holds on which platform.
CREATE TABLE grants (
    agent_id       TEXT    NOT NULL,
    platform_id    TEXT    NOT NULL REFERENCES platforms (platform_id) ON DELETE CASCADE,
    scopes         TEXT    NOT NULL,  -- JSON array
    created_at_ms  INTEGER NOT NULL,
    updated_at_ms  INTEGER NOT NULL,
    PRIMARY KEY (agent_id, platform_id)
) STRICT;
CREATE INDEX grants_by_platform ON grants (platform_id);

-- Agents (kind 'agent') and platforms (kind 'platform') are credentialed clients too.
ALTER TABLE clients ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';          -- JSON object of strings
ALTER TABLE clients ADD COLUMN jwks TEXT NOT NULL DEFAULT '';                 -- public keys for private_key_jwt, JSON
ALTER TABLE clients ADD COLUMN secret_enabled INTEGER NOT NULL DEFAULT 1;     -- 0: key-only client
ALTER TABLE clients ADD COLUMN consecutive_denials INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN status_reason TEXT NOT NULL DEFAULT '';

-- Client assertion ids (RFC 7523 jti) already used, kept until the assertion expires.
CREATE TABLE used_assertions (
    jti_key        TEXT    PRIMARY KEY,   -- client_id + ' ' + jti
    expires_at_ms  INTEGER NOT NULL
) STRICT;
