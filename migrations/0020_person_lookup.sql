-- Issue 13: the blind index of persons' phone numbers and full names, for
-- exact lookup (store/src/lookup.rs). No value is stored in clear: each row
-- is an HMAC-SHA256 of a normalised value under the lookup key (never the
-- master key), and names the key it was made with, so that a re-index under
-- a new key (`casetrail rotate-lookup-key`) can run while servers still look
-- up under the old one. Erasing a person deletes their rows.

CREATE TABLE person_lookup (
    -- 8 bytes of SHA-256("casetrail-lookup-key-id-v1" || key).
    key_id    bytea NOT NULL CHECK (length(key_id) = 8),
    kind      text COLLATE "C" NOT NULL CHECK (kind IN ('phone', 'full_name')),
    digest    bytea NOT NULL CHECK (length(digest) = 32),
    person_id uuid NOT NULL,
    case_id   uuid NOT NULL,
    PRIMARY KEY (key_id, kind, digest, person_id)
);

CREATE INDEX person_lookup_person ON person_lookup (person_id);

-- 0002's default privileges gave the server role full rights on new tables:
-- it reads, adds and (on erasure and re-index) deletes; never updates.
REVOKE ALL ON person_lookup FROM casetrail_app;
GRANT SELECT, INSERT, DELETE ON person_lookup TO casetrail_app;

-- A lookup is recorded in the access log, found or not.
ALTER TABLE access_log DROP CONSTRAINT access_log_action_check;
ALTER TABLE access_log ADD CONSTRAINT access_log_action_check
    CHECK (action IN ('READ_PERSONAL_DATA', 'ERASE_PERSON', 'LOOK_UP_PERSON'));
