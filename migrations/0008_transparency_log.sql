-- The transparency log (docs/AUDIT.md): one leaf per event of every stream,
-- in the projectors' commit-safe order (transaction_id, position), forming an
-- RFC 9162 Merkle tree that `casetrail checkpoint --tree-head` signs and from
-- which inclusion and consistency proofs are computed.
--
-- Maintained by the `merkle_log` projection (projections/src/models/merkle_log.rs)
-- like any read model, so a rebuild can recreate it from the log; because
-- the order is the feed's, a rebuild gives the same leaves at the same
-- indexes, and the tree only ever grows. It holds stream coordinates and
-- hashes only, no personal data.
--
-- The server's role may only read and append: a leaf, once signed over in a
-- tree head, must never change. (A rebuild runs as the owner and re-grants
-- the live table's privileges to its shadow, see projections/src/shadow.rs.)
CREATE TABLE merkle_leaves (
    -- 0 for the first event in commit-safe order; no gaps.
    leaf_index  bigint PRIMARY KEY CHECK (leaf_index >= 0),
    -- events.position of the event.
    position    bigint NOT NULL UNIQUE,
    stream_type text COLLATE "C" NOT NULL,
    stream_id   text COLLATE "C" NOT NULL,
    sequence    bigint NOT NULL,
    -- The event's chain hash (events.hash) and the RFC 9162 leaf hash
    -- SHA-256(0x00 ‖ leaf data), leaf data as in docs/AUDIT.md.
    chain_hash  bytea NOT NULL CHECK (length(chain_hash) = 32),
    leaf_hash   bytea NOT NULL CHECK (length(leaf_hash) = 32),
    UNIQUE (stream_type, stream_id, sequence)
);

INSERT INTO projection_checkpoints (name) VALUES ('merkle_log') ON CONFLICT DO NOTHING;

REVOKE ALL ON merkle_leaves FROM casetrail_app;
GRANT SELECT, INSERT ON merkle_leaves TO casetrail_app;
