-- The role the server runs as (SET ROLE on each pooled connection).
-- Roles are cluster-wide while databases are not, so creation tolerates a
-- concurrent or earlier creation by another database's migration.
DO $$
BEGIN
    CREATE ROLE casetrail_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

-- A non-superuser owner must be a member to SET ROLE; a superuser already may.
DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE format('GRANT casetrail_app TO %I', current_user);
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

GRANT USAGE ON SCHEMA public TO casetrail_app;
-- Append and read; never UPDATE, DELETE or TRUNCATE.
GRANT SELECT, INSERT ON events TO casetrail_app;
GRANT SELECT, INSERT ON command_receipts TO casetrail_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON snapshots TO casetrail_app;
GRANT SELECT, INSERT, UPDATE ON data_keys TO casetrail_app;
-- Read models added by later migrations are the server's to maintain.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO casetrail_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO casetrail_app;
-- /readyz asks, as the server's role, whether every migration is applied.
GRANT SELECT ON _sqlx_migrations TO casetrail_app;
