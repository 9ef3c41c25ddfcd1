-- Child-row notifications can be switched off per database or role:
--   ALTER DATABASE app SET pgbridge.notify_children = off;
-- A record carries raw_state, which only changes through a write of the session row, and that
-- write notifies by itself. Child-row notifications only wake the bridge earlier (their fetch
-- finds an unchanged version and is skipped), so an application that always refreshes
-- raw_state after writing child rows (the generation runner does) can drop them: fewer
-- notifications to receive, and fewer transactions that take NOTIFY's commit-time lock.
-- Default: on, every table notifies. Safe to apply again.
--
-- Placeholders, replaced by `pgbridge migrate` with validated identifiers:
--   ${schema}  ${sessions_table}  ${channel}

CREATE OR REPLACE FUNCTION "${schema}".pgbridge_notify_child() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('pgbridge.notify_children', true) = 'off' THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.session_id IS DISTINCT FROM NEW.session_id) THEN
    PERFORM pg_notify(TG_ARGV[0],
      '{"table":"' || TG_TABLE_NAME || '","op":"' || TG_OP || '","session_id":"' || OLD.session_id || '"}');
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM pg_notify(TG_ARGV[0],
      '{"table":"' || TG_TABLE_NAME || '","op":"' || TG_OP || '","session_id":"' || NEW.session_id || '"}');
  END IF;
  RETURN NULL;
END
$$;
