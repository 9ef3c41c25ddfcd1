-- Two ways a session can change that V002 did not cover:
--
--  * A session deleted and created again with the same id. Its versions restart, so the new
--    row could look older than the last record published before the deletion, and a record
--    would be skipped (or ignored by consumers that keep the highest version). The deletion log
--    now keeps the deleted row's state_version, and an INSERT continues after the highest one
--    still logged. (The log is pruned only once a checkpoint covers the deletion, that is once
--    its tombstone was published; after that a re-created session may start at 1 again, after
--    its tombstone.)
--  * TRUNCATE, which fires no row triggers: a statement trigger logs every id as deleted and
--    notifies for each, so every session gets its tombstone.
--
-- Safe to apply again. Placeholders, replaced by `pgbridge migrate` with validated
-- identifiers: ${schema}  ${sessions_table}  ${channel}

ALTER TABLE "${schema}".pgbridge_deleted_sessions
  ADD COLUMN IF NOT EXISTS state_version bigint;
CREATE INDEX IF NOT EXISTS pgbridge_deleted_sessions_session_id_idx
  ON "${schema}".pgbridge_deleted_sessions (session_id);

CREATE OR REPLACE FUNCTION "${schema}".pgbridge_session_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.state_version := COALESCE((SELECT max(d.state_version)
      FROM "${schema}".pgbridge_deleted_sessions d WHERE d.session_id = NEW.id), 0) + 1;
  ELSIF OLD.id <> NEW.id THEN
    NEW.state_version := GREATEST(OLD.state_version, COALESCE((SELECT max(d.state_version)
      FROM "${schema}".pgbridge_deleted_sessions d WHERE d.session_id = NEW.id), 0)) + 1;
  ELSE
    NEW.state_version := OLD.state_version + 1;
  END IF;
  NEW.last_txid := pg_current_xact_id();
  RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION "${schema}".pgbridge_notify_session() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO "${schema}".pgbridge_deleted_sessions (session_id, txid, state_version)
      VALUES (OLD.id, pg_current_xact_id(), OLD.state_version);
    PERFORM pg_notify(TG_ARGV[0],
      '{"table":"' || TG_TABLE_NAME || '","op":"DELETE","session_id":"' || OLD.id || '"}');
    RETURN OLD;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.id <> NEW.id THEN
    INSERT INTO "${schema}".pgbridge_deleted_sessions (session_id, txid, state_version)
      VALUES (OLD.id, pg_current_xact_id(), OLD.state_version);
    PERFORM pg_notify(TG_ARGV[0],
      '{"table":"' || TG_TABLE_NAME || '","op":"DELETE","session_id":"' || OLD.id || '"}');
  END IF;
  PERFORM pg_notify(TG_ARGV[0],
    '{"table":"' || TG_TABLE_NAME || '","op":"' || TG_OP || '","session_id":"' || NEW.id || '"}');
  RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION "${schema}".pgbridge_truncate_sessions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "${schema}".pgbridge_deleted_sessions (session_id, txid, state_version)
    SELECT id, pg_current_xact_id(), state_version FROM "${schema}"."${sessions_table}";
  PERFORM pg_notify(TG_ARGV[0],
      '{"table":"' || TG_TABLE_NAME || '","op":"DELETE","session_id":"' || id || '"}')
    FROM "${schema}"."${sessions_table}";
  RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS pgbridge_truncate ON "${schema}"."${sessions_table}";
CREATE TRIGGER pgbridge_truncate
  BEFORE TRUNCATE ON "${schema}"."${sessions_table}"
  FOR EACH STATEMENT EXECUTE FUNCTION "${schema}".pgbridge_truncate_sessions('${channel}');
