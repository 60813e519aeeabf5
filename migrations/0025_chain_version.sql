-- Chain version 2 (docs/FORMATS.md, "Hash chain"): new events hash RFC 8785
-- (JCS) canonical JSON, so any JCS library reproduces their hashes. Each
-- event records the formula that hashed it. Every event recorded before
-- this migration was hashed by version 1 and keeps it: the constant default
-- fills them without rewriting a row (no UPDATE, so the append-only
-- triggers are not involved), and a writer that does not name the column
-- (a server older than this migration) records version 1, which is the
-- formula it uses. The store names version 2 explicitly.
ALTER TABLE events
    ADD COLUMN chain_version smallint NOT NULL DEFAULT 1
        CONSTRAINT events_chain_version_known CHECK (chain_version IN (1, 2));
