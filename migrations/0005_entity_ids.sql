-- An id names one thing: every id a command introduces (a call, a case, a
-- person, a counselling session, a referral, a rescue, a support provision)
-- is unique within its kind across the whole store, not only inside its
-- stream. Before this, `sendReferral` with the id of another case's referral
-- was accepted (the Case aggregate only knows its own referrals), and the
-- `referrals` projection then stopped for good on `referrals_pkey`.
--
-- The table is filled by the event store's commit (store/src/identity.rs),
-- in the same transaction as the events that introduce the ids, from the
-- same (event type, payload field, kind) table as the backfill below. Its
-- primary key is the arbiter: a second introduction of (kind, id) fails the
-- whole transaction, and the server answers CONFLICT naming kind and id.
-- Server-generated ids go through the same path, so a client that later
-- reuses one collides too.

CREATE TABLE entity_ids (
    -- call, case, person, counselling_session, referral, rescue, support
    kind         text COLLATE "C" NOT NULL,
    id           uuid NOT NULL,
    -- The stream that introduced it: where the thing lives.
    stream_type  text NOT NULL,
    stream_id    text NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, id)
);

-- Like the events it is append-only: an id, once given, stays given (even
-- after an erasure, whose event names the person by it).
CREATE TRIGGER entity_ids_append_only
    BEFORE UPDATE OR DELETE ON entity_ids
    FOR EACH ROW EXECUTE FUNCTION casetrail_refuse_change();

CREATE TRIGGER entity_ids_no_truncate
    BEFORE TRUNCATE ON entity_ids
    FOR EACH STATEMENT EXECUTE FUNCTION casetrail_refuse_change();

-- 0002's default privileges gave the server role full rights on new tables;
-- it may only read and insert here.
REVOKE ALL ON entity_ids FROM casetrail_app;
GRANT SELECT, INSERT ON entity_ids TO casetrail_app;

-- Backfill from the events already recorded. Payloads are externally tagged
-- (`{"ReferralSent": {"referral_id": ...}}`), and the field that carries the
-- introduced id is the same at every version of each event type (1.0 and 2.0
-- of CounsellingSessionRecorded both have session_id). Where the history
-- already holds a duplicate (the bug this migration closes), the FIRST
-- introduction in log order (lowest position) is kept and NOTHING is recorded
-- for the later ones: they stay in the log, unchanged, as history, and the
-- read models tell them apart by their stream (see below).
INSERT INTO entity_ids (kind, id, stream_type, stream_id, recorded_at)
SELECT DISTINCT ON (m.kind, (e.payload -> e.event_type ->> m.field)::uuid)
       m.kind, (e.payload -> e.event_type ->> m.field)::uuid,
       e.aggregate_type, e.aggregate_id, e.recorded_at
FROM events e
JOIN (VALUES
        ('Call', 'CallReceived',               'call_id',      'call'),
        ('Call', 'CounsellingSessionRecorded', 'session_id',   'counselling_session'),
        ('Case', 'CaseOpened',                 'case_id',      'case'),
        ('Case', 'PersonAttached',             'person_id',    'person'),
        ('Case', 'ReferralSent',               'referral_id',  'referral'),
        ('Case', 'RescueRecorded',             'rescue_id',    'rescue'),
        ('Case', 'SupportProvided',            'provision_id', 'support')
     ) AS m(stream_type, event_type, field, kind)
  ON m.stream_type = e.aggregate_type AND m.event_type = e.event_type
WHERE e.payload -> e.event_type ->> m.field IS NOT NULL
ORDER BY m.kind, (e.payload -> e.event_type ->> m.field)::uuid, e.position;

-- Read models: a referral is keyed by its case and its id, which is what
-- made it unique in the log even before this migration (the Case aggregate
-- refuses a second referral with the same id in one case). So an old
-- duplicate across cases, kept in the log above, is two rows, not a stopped
-- projection: a `referrals` projection stopped on such a duplicate moves
-- again at its next retry (its failed batch was rolled back), with no rebuild.
ALTER TABLE referrals DROP CONSTRAINT referrals_pkey;
ALTER TABLE referrals ADD CONSTRAINT referrals_pkey PRIMARY KEY (case_id, referral_id);
