-- Statistics as signed contributions (docs/STATISTICS.md).
--
-- statistics_facts: one row per contribution of one record (a call, a
-- counselling topic of a call, a person, a referral, a rescue) to one
-- figure, with the log position of the event that made it. A correction
-- adds a withdrawal (n and record_key negated) and the new contribution,
-- never an update, so the figures as of any position are the rows up to it
-- (`statistics(asOfPosition:)`), and distinct counts (referral cases) and
-- cohorts (persons rescued by the day of their referral) are plain queries.
-- No personal data: codes, days, ids of calls and cases, counts.
CREATE TABLE statistics_facts (
    position     bigint NOT NULL,
    figure       text COLLATE "C" NOT NULL,
    -- The hotline-local day the contribution counts on.
    day          date NOT NULL,
    region       text COLLATE "C" NOT NULL,
    -- Province code as it stood on the day (dated reference data); '' when none.
    province     text COLLATE "C" NOT NULL,
    -- The breakdown's code (category, topic, agency, gender, age band, ...).
    code         text COLLATE "C" NOT NULL,
    -- The case, for figures counted by distinct case (referral cases).
    case_id      uuid,
    case_key     bigint,
    n            bigint NOT NULL,
    -- Signed record key (projections/src/disclosure.rs): the cell key method.
    record_key   bigint NOT NULL
);
-- A period's facts of one figure, read from the index alone.
CREATE INDEX statistics_facts_by_day ON statistics_facts (figure, day)
    INCLUDE (position, region, province, code, n, record_key, case_id, case_key);

-- statistics_cells: the same contributions summed per local day and per
-- local month (as the 0003 rollups), with the sum of their record keys, so a
-- query for the current figures costs the calendar, not the log.
CREATE TABLE statistics_cells (
    grain        text COLLATE "C" NOT NULL CHECK (grain IN ('day', 'month')),
    period_start date NOT NULL,
    figure       text COLLATE "C" NOT NULL,
    region       text COLLATE "C" NOT NULL,
    province     text COLLATE "C" NOT NULL,
    code         text COLLATE "C" NOT NULL,
    n            bigint NOT NULL,
    key_sum      bigint NOT NULL,
    PRIMARY KEY (grain, period_start, figure, region, province, code) INCLUDE (n, key_sum)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON statistics_facts, statistics_cells TO casetrail_app;

-- The statistics projection owns the new tables: derive them from the log
-- once, from the start (the 0003 rollups are derived again with them).
TRUNCATE statistics_calls_by_category, statistics_calls_by_channel,
    statistics_counselling_sessions, statistics_cases_opened, statistics_referrals;
UPDATE projection_checkpoints
   SET transaction_id = '0', position = 0, applied_position = 0,
       failed_position = NULL, last_error = NULL, error_at = NULL
 WHERE name = 'statistics';
