-- When each agent was last issued a token (either kind), for the agent inventory.
ALTER TABLE agents ADD COLUMN last_seen_at_ms INTEGER;
ALTER TABLE clients ADD COLUMN last_seen_at_ms INTEGER;
