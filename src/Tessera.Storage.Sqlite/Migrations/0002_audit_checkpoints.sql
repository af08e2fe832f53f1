-- Signed checkpoints of the audit chain head: every N events and at shutdown the broker signs
-- (seq, hash) with its key, so cutting the tail of the chain is detectable offline.
CREATE TABLE audit_checkpoints (
    seq            INTEGER PRIMARY KEY,
    hash           TEXT    NOT NULL,
    kid            TEXT    NOT NULL,
    alg            TEXT    NOT NULL,
    signature      TEXT    NOT NULL,
    created_at_ms  INTEGER NOT NULL
) STRICT;

CREATE INDEX audit_events_task ON audit_events (task_id, seq);
CREATE INDEX audit_events_outcome ON audit_events (outcome, seq);
