-- A re-created session's version must be above every version published for its id, whatever
-- the interleaving of the writers. V004 continued after the highest version in the deletion
-- log, read when the INSERT's BEFORE trigger runs; two interleavings beat that:
--
--  * transaction A deletes the session and holds; B inserts the same id (its trigger reads the
--    log, where A's entry is not visible yet, then B waits on A's row lock); A commits, B
--    commits with version 1;
--  * WITH d AS (DELETE ...) INSERT ...: the DELETE's AFTER trigger, which writes the log, runs
--    at the end of the statement, after the INSERT's BEFORE trigger.
--
-- Any scheme that reads something at insert time that the deleting transaction writes races
-- the same way (a per-id floor row written by a BEFORE DELETE trigger, under READ COMMITTED or
-- REPEATABLE READ alike); locking the id in both triggers deadlocks the two writers instead.
-- So an INSERT takes its version from the transaction-independent clock: the microseconds of
-- clock_timestamp(). An earlier life of the id got at most its insert's microsecond plus one
-- per update, and every update of one row takes longer than a microsecond, so it stays below
-- any later insert's clock reading. The deletion log's maximum + 1 remains a floor against a
-- clock that steps back. Updates stay OLD + 1, so versions still count writes within a life,
-- and per id they increase for ever, even after a deletion was checkpointed and its log entry
-- pruned. The values (about 1.8e15 in 2027) stay below 2^53 until the year 2255, so
-- JavaScript consumers can hold them as numbers.
--
-- Safe to apply again. Placeholders, replaced by `pgbridge migrate` with validated
-- identifiers: ${schema}  ${sessions_table}  ${channel}

CREATE OR REPLACE FUNCTION "${schema}".pgbridge_session_version() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  clock bigint := floor(extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.state_version := GREATEST(clock, COALESCE((SELECT max(d.state_version)
      FROM "${schema}".pgbridge_deleted_sessions d WHERE d.session_id = NEW.id), 0) + 1);
  ELSIF OLD.id <> NEW.id THEN
    NEW.state_version := GREATEST(clock, OLD.state_version + 1,
      COALESCE((SELECT max(d.state_version) FROM "${schema}".pgbridge_deleted_sessions d
        WHERE d.session_id = NEW.id), 0) + 1);
  ELSE
    NEW.state_version := OLD.state_version + 1;
  END IF;
  NEW.last_txid := pg_current_xact_id();
  RETURN NEW;
END
$$;
