-- Republish on demand. `pgbridge republish` inserts a row here; the leading bridge instance
-- (whichever it is) picks the oldest open request of its bridge.id up by polling, marks the
-- sessions it covers page by page, and records progress, so that a request taken by a leader
-- that died is resumed by the next one from the last page acknowledged by Kafka.
--
-- Only roles granted INSERT on this table can request a republish; the table is created
-- without any grant to PUBLIC:
--   GRANT INSERT, SELECT ON "${schema}".pgbridge_republish_requests TO ops;   -- request, follow
--   GRANT SELECT, UPDATE ON "${schema}".pgbridge_republish_requests TO bridge; -- the bridge's role
-- (the role that ran the migration owns the table and needs no grant).
--
-- No index is added to the sessions table (building one would block writers on a large table):
-- a --project request walks the primary key in id order and filters by project_id.
--
-- Safe to apply again. Placeholders, replaced by `pgbridge migrate` with validated
-- identifiers: ${schema}

CREATE TABLE IF NOT EXISTS "${schema}".pgbridge_republish_requests (
  id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  bridge_id      text        NOT NULL,
  scope          text        NOT NULL CHECK (scope IN ('all', 'project', 'sessions')),
  project_id     uuid,
  session_ids    uuid[],
  requested_by   text        NOT NULL DEFAULT current_user,
  requested_at   timestamptz NOT NULL DEFAULT now(),
  state          text        NOT NULL DEFAULT 'pending'
                             CHECK (state IN ('pending', 'running', 'done')),
  taken_by       text,
  taken_at       timestamptz,
  -- keyset position: every session with an id up to this one has been republished and
  -- acknowledged; null before the first page is done
  done_through   uuid,
  republished    bigint      NOT NULL DEFAULT 0,
  finished_at    timestamptz,
  CHECK ((scope = 'project') = (project_id IS NOT NULL)),
  CHECK ((scope = 'sessions') = (session_ids IS NOT NULL AND cardinality(session_ids) > 0))
);

CREATE INDEX IF NOT EXISTS pgbridge_republish_requests_open_idx
  ON "${schema}".pgbridge_republish_requests (bridge_id, id) WHERE state <> 'done';

REVOKE ALL ON "${schema}".pgbridge_republish_requests FROM PUBLIC;

