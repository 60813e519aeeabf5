-- The access log: every read of personal data in clear, and every erasure.
-- Who (subject, role), what (case, person, fields), when, and why (the
-- GraphQL operation and field that asked, and the request's correlation id).
-- Like the events it is append-only for the server's role and for the owner.

CREATE TABLE access_log (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    accessed_at    timestamptz NOT NULL DEFAULT now(),
    actor          text NOT NULL,
    actor_role     text NOT NULL,
    action         text NOT NULL CHECK (action IN ('READ_PERSONAL_DATA', 'ERASE_PERSON')),
    case_id        uuid,
    person_id      uuid,
    fields         text[] NOT NULL DEFAULT '{}',
    operation      text NOT NULL,
    correlation_id text NOT NULL
);

CREATE INDEX access_log_case ON access_log (case_id, accessed_at DESC);
CREATE INDEX access_log_time ON access_log (accessed_at DESC, id DESC);

CREATE FUNCTION casetrail_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER access_log_append_only
    BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION casetrail_refuse_change();

CREATE TRIGGER access_log_no_truncate
    BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION casetrail_refuse_change();

-- Default privileges gave the server role full rights on new tables; take back all but append and read.
REVOKE UPDATE, DELETE, TRUNCATE ON access_log FROM casetrail_app;
