-- 0006: issue 10, points 3, 5, 6 and 7.
--   * data keys are typed by subject kind and record which master key wraps them;
--   * idempotency receipts are scoped by caller and hold no personal data;
--   * snapshots are verified on load and insert-only for the server's role.
-- Migrations are never edited once merged: a change is a new migration.

-- ---------------------------------------------------------------- data keys
-- Until now a data key was found by a bare subject id, so a client-chosen
-- person id equal to a call's or a case's id shared that subject's key (and
-- erasing the person destroyed the case's reasons). From here on a key is
-- the server's: (subject_kind, subject_id), and its wrapping binds the kind.
--
-- master_key_id: first 8 bytes of SHA-256("casetrail-master-key-id-v1" ‖ key)
-- of the master key that wrapped it (never the key). NULL for keys wrapped
-- before this migration (SQL cannot know the key); servers try every master
-- key they hold on those, and `casetrail rotate-master-key` moves them.
--
-- shared_legacy: the same id sealed values of more than one kind before this
-- migration, so one key material now sits under several kinds; erasing the
-- person destroys all of them (vault.rs `erase`), since it is one key.
ALTER TABLE data_keys
    ADD COLUMN subject_kind  text CHECK (subject_kind IN ('person', 'call', 'case')),
    ADD COLUMN master_key_id bytea CHECK (octet_length(master_key_id) = 8),
    ADD COLUMN shared_legacy boolean NOT NULL DEFAULT false;

-- Which kinds each existing key actually sealed, read from where its sealed
-- values sit in the log: names and phones are a person's, counselling notes
-- a call's, reasons a case's.
CREATE TEMPORARY TABLE data_key_kinds (subject_id uuid NOT NULL, subject_kind text NOT NULL)
    ON COMMIT DROP;
INSERT INTO data_key_kinds (subject_id, subject_kind)
SELECT DISTINCT (found.key_id #>> '{}')::uuid, found.kind
FROM (
    SELECT jsonb_path_query(payload, 'lax $.**.full_name.key_id') AS key_id, 'person' AS kind
      FROM events WHERE aggregate_type = 'Case'
    UNION ALL
    SELECT jsonb_path_query(payload, 'lax $.**.phone.key_id'), 'person'
      FROM events WHERE aggregate_type = 'Case'
    UNION ALL
    SELECT jsonb_path_query(payload, 'lax $.**.reason.key_id'), 'case'
      FROM events WHERE aggregate_type = 'Case'
    UNION ALL
    SELECT jsonb_path_query(payload, 'lax $.**.override_reason.key_id'), 'case'
      FROM events WHERE aggregate_type = 'Case'
    UNION ALL
    SELECT jsonb_path_query(payload, 'lax $.**.notes.key_id'), 'call'
      FROM events WHERE aggregate_type = 'Call'
) AS found
WHERE jsonb_typeof(found.key_id) = 'string'
  AND EXISTS (SELECT 1 FROM data_keys k WHERE k.subject_id::text = found.key_id #>> '{}');

-- A key none of whose values was committed (its command failed after
-- sealing): nothing depends on it; file it under its id's stream, else a person.
INSERT INTO data_key_kinds (subject_id, subject_kind)
SELECT k.subject_id,
       CASE WHEN EXISTS (SELECT 1 FROM events e
                         WHERE e.aggregate_type = 'Case' AND e.aggregate_id = k.subject_id::text) THEN 'case'
            WHEN EXISTS (SELECT 1 FROM events e
                         WHERE e.aggregate_type = 'Call' AND e.aggregate_id = k.subject_id::text) THEN 'call'
            ELSE 'person' END
FROM data_keys k
WHERE NOT EXISTS (SELECT 1 FROM data_key_kinds d WHERE d.subject_id = k.subject_id);

ALTER TABLE data_keys DROP CONSTRAINT data_keys_pkey;
INSERT INTO data_keys (subject_id, subject_kind, wrapped_key, created_at, erased_at, shared_legacy)
SELECT k.subject_id, d.subject_kind, k.wrapped_key, k.created_at, k.erased_at,
       (SELECT count(*) FROM data_key_kinds x WHERE x.subject_id = k.subject_id) > 1
FROM data_keys k JOIN data_key_kinds d ON d.subject_id = k.subject_id
WHERE k.subject_kind IS NULL;
DELETE FROM data_keys WHERE subject_kind IS NULL;
ALTER TABLE data_keys
    ALTER COLUMN subject_kind SET NOT NULL,
    ADD PRIMARY KEY (subject_kind, subject_id),
    -- An erased key names no master key.
    ADD CHECK (wrapped_key IS NOT NULL OR master_key_id IS NULL);
-- `rotate-master-key` finds what is not under the current key.
CREATE INDEX data_keys_by_master_key ON data_keys (master_key_id) WHERE wrapped_key IS NOT NULL;

-- --------------------------------------------------------- command receipts
-- A receipt belongs to the caller that made it: the token's `sub`, and its
-- agency for AGENCY tokens (empty otherwise). The same client key from
-- another caller is another key: no CONFLICT, nothing learnt.
--
-- request_hash no longer covers personal data (api/src/commands/idempotency.rs,
-- ARCHITECTURE.md "Idempotency"). Receipts written before this migration hold
-- an HMAC of their whole input, names included, that would outlive an
-- erasure: it is wiped (empty = "input not recorded"), and their caller is
-- taken from the actor of the event they name (agency unknown: empty).
ALTER TABLE command_receipts
    ADD COLUMN caller_subject text,
    ADD COLUMN caller_agency  text NOT NULL DEFAULT '';
UPDATE command_receipts r
SET caller_subject = coalesce(
        (SELECT e.metadata ->> 'actor' FROM events e
         WHERE e.aggregate_type = r.stream_type AND e.aggregate_id = r.stream_id
           AND e.sequence = r.last_sequence),
        ''),
    request_hash = '\x'::bytea;
ALTER TABLE command_receipts
    DROP CONSTRAINT command_receipts_pkey,
    ALTER COLUMN caller_subject SET NOT NULL,
    ADD PRIMARY KEY (caller_subject, caller_agency, idempotency_key);

-- ---------------------------------------------------------------- snapshots
-- A snapshot records the chain hash of the last event it folds (last_hash)
-- and a MAC (HMAC-SHA-256 under a key derived from the master key named by
-- master_key_id) over its stream, sequence, last_hash and payload. It is
-- used only when the event's stored hash equals last_hash and the MAC
-- verifies; otherwise it is discarded, logged and counted, and the state is
-- folded from the events (store/src/snapshots.rs).
--
-- Snapshots written before this migration carry neither and cannot be
-- checked: they are dropped (derived data; the next one is written at the
-- next multiple of 100 events).
DELETE FROM snapshots;
ALTER TABLE snapshots
    DROP CONSTRAINT snapshots_pkey,
    ADD COLUMN last_hash     bytea NOT NULL CHECK (octet_length(last_hash) = 32),
    ADD COLUMN master_key_id bytea NOT NULL CHECK (octet_length(master_key_id) = 8),
    ADD COLUMN mac           bytea NOT NULL CHECK (octet_length(mac) = 32),
    -- New snapshots are new rows; load takes the newest valid one.
    ADD PRIMARY KEY (aggregate_type, aggregate_id, last_sequence);

-- The server may add snapshots, never rewrite or remove them.
REVOKE UPDATE, DELETE, TRUNCATE ON snapshots FROM casetrail_app;
