-- The access log also records reads of sealed texts that belong to a case or
-- a call rather than to a person (case notes, follow-up descriptions,
-- counselling notes): which call (case_id already exists) and which item
-- (the note, follow-up or counselling session). Both NULL on older rows and
-- on reads of a person's data. The table stays append-only: adding a column
-- rewrites no row and fires no row trigger.
ALTER TABLE access_log ADD COLUMN call_id uuid, ADD COLUMN item_id uuid;
CREATE INDEX access_log_call ON access_log (call_id, accessed_at DESC) WHERE call_id IS NOT NULL;
