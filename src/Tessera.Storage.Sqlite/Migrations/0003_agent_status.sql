-- Agent lifecycle: an agent revoked at agent level stays revoked for good, even after its
-- revocation entry leaves the feed (its tokens have all expired by then).
ALTER TABLE agents ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
