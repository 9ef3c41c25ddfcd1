-- pgbridge's own objects, applicable to any schema that has the sessions table and the three
-- child tables (each child with a session_id column). Safe to apply again.
--
--  * state_version: +1 on every insert or update of a session, in commit order per row
--    (row locks serialise updates), so a consumer can keep the highest version per key.
--  * last_txid: the transaction that last wrote the row; catch-up republishes every session
--    whose last_txid is not visible in the stored checkpoint snapshot. Indexed so that
--    catch-up reads only the changed rows.
--  * row triggers notify on the channel with tiny payloads: table, operation, session id.
--    No timestamp, so PostgreSQL folds identical notifications within one transaction.
--  * deletions are also logged, with their transaction id, because a session deleted while
--    the bridge was away has no row left for catch-up to find, and its tombstone is owed.
--
-- Placeholders, replaced by `pgbridge migrate` with validated identifiers:
--   ${schema}  ${sessions_table}  ${channel}

ALTER TABLE "${schema}"."${sessions_table}"
  ADD COLUMN IF NOT EXISTS state_version bigint NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS last_txid xid8;

CREATE INDEX IF NOT EXISTS "${sessions_table}_last_txid_idx"
  ON "${schema}"."${sessions_table}" (last_txid);

CREATE TABLE IF NOT EXISTS "${schema}".pgbridge_checkpoint (
  bridge_id  text        PRIMARY KEY,
  snapshot   pg_snapshot NOT NULL,
  stored_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS "${schema}".pgbridge_deleted_sessions (
  session_id  uuid        NOT NULL,
  txid        xid8        NOT NULL,
  deleted_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS pgbridge_deleted_sessions_txid_idx
  ON "${schema}".pgbridge_deleted_sessions (txid);

-- BEFORE INSERT OR UPDATE on the sessions table: version and writing transaction.
CREATE OR REPLACE FUNCTION "${schema}".pgbridge_session_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.state_version := 1;
  ELSE
    NEW.state_version := OLD.state_version + 1;
  END IF;
  NEW.last_txid := pg_current_xact_id();
  RETURN NEW;
END
$$;

-- AFTER INSERT OR UPDATE OR DELETE on the sessions table. TG_ARGV[0] is the channel.
CREATE OR REPLACE FUNCTION "${schema}".pgbridge_notify_session() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO "${schema}".pgbridge_deleted_sessions (session_id, txid)
      VALUES (OLD.id, pg_current_xact_id());
    PERFORM pg_notify(TG_ARGV[0],
      '{"table":"' || TG_TABLE_NAME || '","op":"DELETE","session_id":"' || OLD.id || '"}');
    RETURN OLD;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.id <> NEW.id THEN
    INSERT INTO "${schema}".pgbridge_deleted_sessions (session_id, txid)
      VALUES (OLD.id, pg_current_xact_id());
    PERFORM pg_notify(TG_ARGV[0],
      '{"table":"' || TG_TABLE_NAME || '","op":"DELETE","session_id":"' || OLD.id || '"}');
  END IF;
  PERFORM pg_notify(TG_ARGV[0],
    '{"table":"' || TG_TABLE_NAME || '","op":"' || TG_OP || '","session_id":"' || NEW.id || '"}');
  RETURN NEW;
END
$$;

-- AFTER INSERT OR UPDATE OR DELETE on a child table: only the parent's id, no lookups.
CREATE OR REPLACE FUNCTION "${schema}".pgbridge_notify_child() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.session_id IS DISTINCT FROM NEW.session_id) THEN
    PERFORM pg_notify(TG_ARGV[0],
      '{"table":"' || TG_TABLE_NAME || '","op":"' || TG_OP || '","session_id":"' || OLD.session_id || '"}');
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM pg_notify(TG_ARGV[0],
      '{"table":"' || TG_TABLE_NAME || '","op":"' || TG_OP || '","session_id":"' || NEW.session_id || '"}');
    RETURN NEW;
  END IF;
  RETURN OLD;
END
$$;

DROP TRIGGER IF EXISTS pgbridge_version ON "${schema}"."${sessions_table}";
CREATE TRIGGER pgbridge_version
  BEFORE INSERT OR UPDATE ON "${schema}"."${sessions_table}"
  FOR EACH ROW EXECUTE FUNCTION "${schema}".pgbridge_session_version();

DROP TRIGGER IF EXISTS pgbridge_notify ON "${schema}"."${sessions_table}";
CREATE TRIGGER pgbridge_notify
  AFTER INSERT OR UPDATE OR DELETE ON "${schema}"."${sessions_table}"
  FOR EACH ROW EXECUTE FUNCTION "${schema}".pgbridge_notify_session('${channel}');

DROP TRIGGER IF EXISTS pgbridge_notify ON "${schema}".generation_todos;
CREATE TRIGGER pgbridge_notify
  AFTER INSERT OR UPDATE OR DELETE ON "${schema}".generation_todos
  FOR EACH ROW EXECUTE FUNCTION "${schema}".pgbridge_notify_child('${channel}');

DROP TRIGGER IF EXISTS pgbridge_notify ON "${schema}".generation_tool_calls;
CREATE TRIGGER pgbridge_notify
  AFTER INSERT OR UPDATE OR DELETE ON "${schema}".generation_tool_calls
  FOR EACH ROW EXECUTE FUNCTION "${schema}".pgbridge_notify_child('${channel}');

DROP TRIGGER IF EXISTS pgbridge_notify ON "${schema}".generation_notes;
CREATE TRIGGER pgbridge_notify
  AFTER INSERT OR UPDATE OR DELETE ON "${schema}".generation_notes
  FOR EACH ROW EXECUTE FUNCTION "${schema}".pgbridge_notify_child('${channel}');
