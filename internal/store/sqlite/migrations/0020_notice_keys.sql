-- 0020: notices keep their message key and parameters (JSON object of
-- strings), so each reader sees them in their own language; rows written
-- before keep key '' and show their stored title and body.
ALTER TABLE notices ADD COLUMN msg_key TEXT NOT NULL DEFAULT '';
ALTER TABLE notices ADD COLUMN msg_params TEXT NOT NULL DEFAULT '';
