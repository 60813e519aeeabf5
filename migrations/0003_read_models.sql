-- Read models and the projectors' bookkeeping (the `projections` crate).
--
-- Everything below is derived from the event log and can be rebuilt from
-- zero with `casetrail projections rebuild [NAME]`. It holds no personal
-- data: ids, codes, counts and times only. Codes are the wire names of the
-- domain's enums (RED_RIVER_DELTA, VOICE, ...), so new enum values need no
-- migration; they are compared byte for byte (COLLATE "C"), which is what
-- codes mean and keeps their indexes fast whatever the database's locale.
-- Local days (`*_day`, `period_start`) are calendar days in the hotline's
-- time zone as the projection ran (recorded per projection in
-- projection_checkpoints.time_zone): changing CASETRAIL_TIME_ZONE requires a
-- rebuild, and a projector refuses to mix two time zones in one model.
--
-- Rebuild contract (projections/src/rebuild.rs): a rebuild runs as this
-- migration's owner, builds `<table>__rebuild` copies (LIKE the table, with
-- its index and constraint names suffixed `__rebuild`), fills them from the
-- log, and swaps them in by rename inside one transaction that also moves
-- the checkpoint. Hence: names here stay under 54 characters, and no foreign
-- key points at or from a read-model table. Later migrations may alter these
-- tables freely; a rebuild copies whatever shape they have then.

-- One row per projection: where it stands in the log, and why it is stuck.
CREATE TABLE projection_checkpoints (
    name             text PRIMARY KEY,
    -- Resume point: the last applied event in (transaction_id, position)
    -- order, the order in which transactions become safely visible.
    transaction_id   xid8   NOT NULL DEFAULT '0',
    position         bigint NOT NULL DEFAULT 0 CHECK (position >= 0),
    -- The highest log position among applied events. Positions are assigned
    -- at insert, not commit, so they are not applied in increasing order;
    -- this is the figure status and statistics quote.
    applied_position bigint NOT NULL DEFAULT 0 CHECK (applied_position >= 0),
    -- IANA zone the model's local days were computed in; NULL until the first event.
    time_zone        text,
    -- The event the projection failed on, and why: SQLSTATE codes and event
    -- coordinates only, never payload text.
    failed_position  bigint,
    last_error       text,
    error_at         timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    rebuilt_at       timestamptz
);

INSERT INTO projection_checkpoints (name)
VALUES ('calls'), ('cases'), ('referrals'), ('statistics');

-- The contract's `calls` connection: newest first, filtered by local day,
-- region, category and channel.
CREATE TABLE calls (
    id           uuid PRIMARY KEY,
    received_at  timestamptz NOT NULL,
    received_day date NOT NULL,
    region       text COLLATE "C" NOT NULL,
    -- Province code as it stood on the day of the call (dated reference data).
    province     text COLLATE "C",
    channel      text COLLATE "C" NOT NULL,
    caller_type  text COLLATE "C" NOT NULL,
    category     text COLLATE "C" NOT NULL
);
CREATE INDEX calls_newest_first ON calls (received_at DESC, id DESC);
-- Lets totalCount under any filter combination be an index-only scan.
CREATE INDEX calls_by_day ON calls (received_day, region, category, channel);

-- The contract's `cases` connection.
CREATE TABLE cases (
    id         uuid PRIMARY KEY,
    opened_at  timestamptz NOT NULL,
    opened_day date NOT NULL,
    status     text COLLATE "C" NOT NULL,
    region     text COLLATE "C" NOT NULL,
    province   text COLLATE "C",
    closed_at  timestamptz
);
CREATE INDEX cases_newest_first ON cases (opened_at DESC, id DESC);
CREATE INDEX cases_by_status ON cases (status, opened_at DESC, id DESC);

-- The contract's `referrals` connection; an AGENCY user only ever sees its
-- own agency's rows, hence the agency-first index.
CREATE TABLE referrals (
    referral_id uuid PRIMARY KEY,
    case_id     uuid NOT NULL,
    agency      text COLLATE "C" NOT NULL,
    status      text COLLATE "C" NOT NULL,
    outcome     text COLLATE "C",
    referred_at timestamptz NOT NULL,
    status_at   timestamptz NOT NULL
);
CREATE INDEX referrals_newest_first ON referrals (referred_at DESC, referral_id DESC);
CREATE INDEX referrals_by_agency ON referrals (agency, referred_at DESC, referral_id DESC);
CREATE INDEX referrals_by_case ON referrals (case_id);

-- Statistics rollups. Each counter is kept at two grains: per local day and
-- per local month (period_start = the month's first day). A query for
-- [from, to] sums month rows for the whole months inside it and day rows for
-- the partial months at its edges, so its cost is bounded by the calendar
-- and the code lists, never by the number of events. Calls are kept as the
-- two breakdowns the report shows (by category, by channel; both by region)
-- rather than their cross product: 140 cells per period at most instead of 480.
-- Keys INCLUDE the counters, so that a query reads the index alone.
CREATE TABLE statistics_calls_by_category (
    grain        text COLLATE "C" NOT NULL CHECK (grain IN ('day', 'month')),
    period_start date NOT NULL,
    region       text COLLATE "C" NOT NULL,
    category     text COLLATE "C" NOT NULL,
    calls        bigint NOT NULL,
    PRIMARY KEY (grain, period_start, region, category) INCLUDE (calls)
);

CREATE TABLE statistics_calls_by_channel (
    grain        text COLLATE "C" NOT NULL CHECK (grain IN ('day', 'month')),
    period_start date NOT NULL,
    region       text COLLATE "C" NOT NULL,
    channel      text COLLATE "C" NOT NULL,
    calls        bigint NOT NULL,
    PRIMARY KEY (grain, period_start, region, channel) INCLUDE (calls)
);

-- Counselling sessions by the local day they started and the call's region.
CREATE TABLE statistics_counselling_sessions (
    grain        text COLLATE "C" NOT NULL CHECK (grain IN ('day', 'month')),
    period_start date NOT NULL,
    region       text COLLATE "C" NOT NULL,
    sessions     bigint NOT NULL,
    PRIMARY KEY (grain, period_start, region) INCLUDE (sessions)
);

CREATE TABLE statistics_cases_opened (
    grain        text COLLATE "C" NOT NULL CHECK (grain IN ('day', 'month')),
    period_start date NOT NULL,
    region       text COLLATE "C" NOT NULL,
    cases        bigint NOT NULL,
    PRIMARY KEY (grain, period_start, region) INCLUDE (cases)
);

-- Referrals count on the local day they were sent; persons rescued on the
-- local day of the rescue. Both under the referral's agency and the case's
-- region, so that a region filter selects the same cases for both figures.
-- (The projection finds a session's call, a referral's case and a rescue's
-- referral in the event log itself, which never changes, rather than in
-- another read model, so that each projection can lag or be rebuilt alone.)
CREATE TABLE statistics_referrals (
    grain           text COLLATE "C" NOT NULL CHECK (grain IN ('day', 'month')),
    period_start    date NOT NULL,
    region          text COLLATE "C" NOT NULL,
    agency          text COLLATE "C" NOT NULL,
    referrals       bigint NOT NULL,
    persons_rescued bigint NOT NULL,
    PRIMARY KEY (grain, period_start, region, agency) INCLUDE (referrals, persons_rescued)
);

-- The server (casetrail_app) maintains all of the above; 0002's default
-- privileges already grant this, stated here so the intent is explicit.
GRANT SELECT, INSERT, UPDATE ON projection_checkpoints TO casetrail_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON
    calls, cases, referrals,
    statistics_calls_by_category, statistics_calls_by_channel,
    statistics_counselling_sessions, statistics_cases_opened, statistics_referrals
TO casetrail_app;
