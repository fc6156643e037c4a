-- 0009: the company's language and time zone (what its customers read:
-- quote and forward headers, automatic messages) and each agent's own
-- time zone for the UI ('' = not known yet: the browser's zone is saved
-- on the next page load, the company's is used until then).
ALTER TABLE companies ADD COLUMN language TEXT NOT NULL DEFAULT 'pt-BR';
ALTER TABLE companies ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'America/Sao_Paulo';
ALTER TABLE agents ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
