-- casetrail's event log. Migrations are never edited once merged: a change
-- is a new migration.
--
-- The server runs as the role casetrail_app (see 0002). That role may read
-- and append events, never change them; the triggers below refuse UPDATE,
-- DELETE and TRUNCATE for everyone, owner included. A correction is a new event.

CREATE TABLE events (
    -- Global position in the log: assigned at insert, so it orders inserts,
    -- not commits. Projectors use (transaction_id, position) to stay gap-safe.
    position        bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    -- The writing transaction; lets a reader take only what has surely committed.
    transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
    -- Column names from here on are those of postgres-es, so it reads this table unchanged.
    aggregate_type  text NOT NULL,
    aggregate_id    text NOT NULL,
    sequence        bigint NOT NULL CHECK (sequence >= 1),
    event_type      text NOT NULL,
    event_version   text NOT NULL,
    payload         jsonb NOT NULL,
    metadata        jsonb NOT NULL,
    -- Database clock at the writing transaction's start: system time of the record.
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    -- SHA-256 chaining this event to the previous one of its stream (ARCHITECTURE.md).
    hash            bytea NOT NULL CHECK (octet_length(hash) = 32),
    CONSTRAINT events_stream_sequence PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);

-- Projectors read in (transaction_id, position) order.
CREATE INDEX events_commit_order ON events (transaction_id, position);

CREATE FUNCTION casetrail_refuse_event_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER events_append_only
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION casetrail_refuse_event_change();

CREATE TRIGGER events_no_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION casetrail_refuse_event_change();

-- Wake projectors when events are appended; delivered at commit.
CREATE FUNCTION casetrail_notify_append() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('casetrail_events', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER events_notify
    AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION casetrail_notify_append();

-- Snapshots keep a long-lived stream's command cost flat. Derived data:
-- replaceable, and ignored when it no longer deserialises.
CREATE TABLE snapshots (
    aggregate_type   text NOT NULL,
    aggregate_id     text NOT NULL,
    last_sequence    bigint NOT NULL,
    current_snapshot bigint NOT NULL,
    payload          jsonb NOT NULL,
    timestamp        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (aggregate_type, aggregate_id)
);

-- One row per idempotent command: a retried request finds its first result
-- here. request_hash is keyed (HMAC), so it reveals nothing of the input.
CREATE TABLE command_receipts (
    idempotency_key text PRIMARY KEY,
    request_hash    bytea NOT NULL,
    stream_type     text NOT NULL,
    stream_id       text NOT NULL,
    last_sequence   bigint NOT NULL,
    result_id       uuid,
    recorded_at     timestamptz NOT NULL DEFAULT now()
);

-- Per-subject data keys for personal data, wrapped by the master key.
-- Erasure sets wrapped_key to NULL: the ciphertext in events stays, unreadable.
CREATE TABLE data_keys (
    subject_id  uuid PRIMARY KEY,
    wrapped_key bytea,
    created_at  timestamptz NOT NULL DEFAULT now(),
    erased_at   timestamptz,
    CHECK ((wrapped_key IS NULL) = (erased_at IS NOT NULL))
);
