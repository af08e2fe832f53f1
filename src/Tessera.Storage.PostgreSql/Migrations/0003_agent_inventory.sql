-- The agent inventory pages through both agent tables by (created_at_ms, id).
CREATE INDEX agents_by_created ON agents (created_at_ms, agent_id);
CREATE INDEX clients_agents_by_created ON clients (created_at_ms, entity_id) WHERE kind = 'agent';
