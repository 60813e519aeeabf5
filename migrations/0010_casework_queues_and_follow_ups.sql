-- Casework (issue 12, part A): who owns each case, and follow-up tasks.
-- Both are read models of the `cases` projection (rebuilt with it); like
-- every read model they hold ids, codes, times and staff token subjects
-- (the counsellors' `sub`), never personal data: a follow-up's description
-- stays sealed in its event.

-- The owner's token subject; NULL while the case is unassigned. Rows written
-- before this migration stay NULL: no case had an owner before it.
ALTER TABLE cases ADD COLUMN owner text COLLATE "C";
-- "My cases" and "cases by owner and status", newest opened first.
CREATE INDEX cases_by_owner ON cases (owner, status, opened_at DESC, id DESC);
-- The unassigned queue.
CREATE INDEX cases_unassigned ON cases (status, opened_at DESC, id DESC) WHERE owner IS NULL;

-- One row per follow-up. Its id is unique in the whole store (entity_ids,
-- kind `follow_up`). `case_open` follows the case's closing and reopening:
-- work on a closed case is not anyone's to do until it is reopened.
CREATE TABLE follow_ups (
    follow_up_id uuid PRIMARY KEY,
    case_id      uuid NOT NULL,
    assignee     text COLLATE "C" NOT NULL,
    created_at   timestamptz NOT NULL,
    due_at       timestamptz NOT NULL,
    completed_at timestamptz,
    case_open    boolean NOT NULL DEFAULT true
);
-- "My follow-ups" and "overdue" read open tasks soonest due first.
CREATE INDEX follow_ups_by_assignee ON follow_ups (assignee, due_at, follow_up_id);
CREATE INDEX follow_ups_open_by_due ON follow_ups (due_at, follow_up_id)
    WHERE completed_at IS NULL AND case_open;
CREATE INDEX follow_ups_by_case ON follow_ups (case_id);

-- Referrals still awaiting the agency's acknowledgement, oldest first (the
-- supervisors' overdue view: sent more than CASETRAIL_REFERRAL_ACK_HOURS ago).
CREATE INDEX referrals_awaiting_ack ON referrals (referred_at, referral_id) WHERE status = 'SENT';

GRANT SELECT, INSERT, UPDATE, DELETE ON follow_ups TO casetrail_app;
