-- Signing key rings shared by the replicas, sealed by the broker (AES-256-GCM under the
-- key-encryption key from its configuration): a copy of the database gives out no signing key.
-- version makes every change a compare-and-set.
CREATE TABLE key_rings (
    name           text    PRIMARY KEY,
    version        bigint  NOT NULL,
    sealed         bytea   NOT NULL,
    updated_at_ms  bigint  NOT NULL
);
