-- The secret the statistics' record keys are derived under (issue 14;
-- docs/STATISTICS.md, "Record keys"): HMAC-SHA256(secret, kind, id).
--
-- Until now a record key was an unkeyed SHA-256 of the record's id, so
-- anyone knowing ids could compute the cell key method's noise and undo
-- it. The secret is generated here, once, inside the database that holds
-- the data it perturbs: it lives exactly as long as that data (backups,
-- restores and standbys carry it along), so a rebuild or a restart gives
-- identical perturbation and a published figure can be recomputed forever.
-- The server role may only read it; no read model, query or export
-- exposes it.
CREATE TABLE statistics_record_secret (
    -- One row, ever.
    only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    secret     bytea NOT NULL CHECK (length(secret) = 32),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- 32 bytes from three random UUIDs (366 bits of the server's strong random
-- source, pg_strong_random), hashed to the key's length. gen_random_uuid and
-- sha256 are built in: no extension is needed.
INSERT INTO statistics_record_secret (secret)
VALUES (sha256(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())
               || uuid_send(gen_random_uuid())));

-- Changing the secret would change every published ANALYST figure: refused
-- like a change of the event log, even to the owner.
CREATE FUNCTION casetrail_refuse_secret_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the statistics record secret never changes: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER statistics_record_secret_fixed
    BEFORE UPDATE OR DELETE ON statistics_record_secret
    FOR EACH ROW EXECUTE FUNCTION casetrail_refuse_secret_change();

CREATE TRIGGER statistics_record_secret_no_truncate
    BEFORE TRUNCATE ON statistics_record_secret
    FOR EACH STATEMENT EXECUTE FUNCTION casetrail_refuse_secret_change();

GRANT SELECT ON statistics_record_secret TO casetrail_app;

-- Every record key changes, and referrals, rescues and persons now carry
-- their case's province (per-province breakdowns of cases and referrals):
-- derive the statistics again from the start, as 0015 did.
TRUNCATE statistics_facts, statistics_cells, statistics_calls_by_category,
    statistics_calls_by_channel, statistics_counselling_sessions,
    statistics_cases_opened, statistics_referrals;
UPDATE projection_checkpoints
   SET transaction_id = '0', position = 0, applied_position = 0,
       failed_position = NULL, last_error = NULL, error_at = NULL
 WHERE name = 'statistics';
