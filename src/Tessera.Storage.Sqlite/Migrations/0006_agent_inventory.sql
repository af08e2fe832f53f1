-- The agent inventory pages through both agent tables by (created_at_ms, id).
CREATE INDEX agents_by_created ON agents (created_at_ms, agent_id);
CREATE INDEX clients_by_kind_created ON clients (kind, created_at_ms, entity_id);
