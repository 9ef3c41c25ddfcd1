-- Declaratively partitioned tables. Row triggers created on a partitioned table are cloned to
-- every partition, present and attached later, but a trigger fires with the partition's
-- TG_TABLE_NAME, which is not a table the bridge knows: its notifications were dropped. The
-- triggers now carry the configured (logical) table name as their second argument, and the
-- payload uses it; TG_TABLE_NAME remains the fallback for triggers created by hand with the
-- channel alone.
--
-- TRUNCATE has statement triggers only, and those are not cloned: TRUNCATE of one partition
-- fires that partition's triggers alone, TRUNCATE of the parent fires the parent's and every
-- partition's. So the TRUNCATE trigger is installed on the sessions table and on each of its
-- partitions (pgbridge_install_truncate_triggers, which `pgbridge migrate` runs again on every
-- run, for partitions attached since), and it logs and notifies the rows of the relation it
-- fires on, skipping a partitioned parent whose rows its partitions report.
--
-- Table inheritance (INHERITS, without PARTITION BY) fires no trigger of the parent for rows
-- of a child, and a partition key on state_version or last_txid would make the version
-- trigger move rows between partitions, which PostgreSQL refuses on every write: both are
-- refused here with a clear message.
--
-- Safe to apply again. Placeholders, replaced by `pgbridge migrate` with validated
-- identifiers: ${schema}  ${sessions_table}  ${channel}

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
      WHERE i.inhparent = '"${schema}"."${sessions_table}"'::regclass AND p.relkind <> 'p') THEN
    RAISE EXCEPTION 'table "${schema}"."${sessions_table}" has child tables by inheritance:'
      ' pgbridge supports declarative partitioning (PARTITION BY), not INHERITS';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_partitioned_table pt JOIN pg_attribute a
      ON a.attrelid = pt.partrelid AND a.attnum = ANY (pt.partattrs::int2[])
      WHERE pt.partrelid = '"${schema}"."${sessions_table}"'::regclass
        AND a.attname IN ('state_version', 'last_txid')) THEN
    RAISE EXCEPTION 'table "${schema}"."${sessions_table}" is partitioned by state_version or'
      ' last_txid, which pgbridge''s trigger changes on every write: partition by id or by'
      ' another column';
  END IF;
END
$$;

-- AFTER INSERT OR UPDATE OR DELETE on the sessions table. TG_ARGV: channel, table name.
CREATE OR REPLACE FUNCTION "${schema}".pgbridge_notify_session() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  tbl text := COALESCE(TG_ARGV[1], TG_TABLE_NAME);
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO "${schema}".pgbridge_deleted_sessions (session_id, txid, state_version)
      VALUES (OLD.id, pg_current_xact_id(), OLD.state_version);
    PERFORM pg_notify(TG_ARGV[0],
      '{"table":"' || tbl || '","op":"DELETE","session_id":"' || OLD.id || '"}');
    RETURN OLD;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.id <> NEW.id THEN
    INSERT INTO "${schema}".pgbridge_deleted_sessions (session_id, txid, state_version)
      VALUES (OLD.id, pg_current_xact_id(), OLD.state_version);
    PERFORM pg_notify(TG_ARGV[0],
      '{"table":"' || tbl || '","op":"DELETE","session_id":"' || OLD.id || '"}');
  END IF;
  PERFORM pg_notify(TG_ARGV[0],
    '{"table":"' || tbl || '","op":"' || TG_OP || '","session_id":"' || NEW.id || '"}');
  RETURN NEW;
END
$$;

-- AFTER INSERT OR UPDATE OR DELETE on a child table. TG_ARGV: channel, table name.
CREATE OR REPLACE FUNCTION "${schema}".pgbridge_notify_child() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  tbl text := COALESCE(TG_ARGV[1], TG_TABLE_NAME);
BEGIN
  IF current_setting('pgbridge.notify_children', true) = 'off' THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.session_id IS DISTINCT FROM NEW.session_id) THEN
    PERFORM pg_notify(TG_ARGV[0],
      '{"table":"' || tbl || '","op":"' || TG_OP || '","session_id":"' || OLD.session_id || '"}');
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM pg_notify(TG_ARGV[0],
      '{"table":"' || tbl || '","op":"' || TG_OP || '","session_id":"' || NEW.session_id || '"}');
  END IF;
  RETURN NULL;
END
$$;

-- BEFORE TRUNCATE, per statement, on the sessions table and each partition. TG_ARGV: channel,
-- table name. Reads the rows of the relation it fires on (TG_RELID).
CREATE OR REPLACE FUNCTION "${schema}".pgbridge_truncate_sessions() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  tbl text := COALESCE(TG_ARGV[1], TG_TABLE_NAME);
  rel regclass := TG_RELID;
BEGIN
  IF (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = TG_RELID) = 'p' THEN
    RETURN NULL; -- a partitioned parent holds no rows; its partitions' triggers fire too
  END IF;
  EXECUTE format('INSERT INTO "${schema}".pgbridge_deleted_sessions'
      || ' (session_id, txid, state_version)'
      || ' SELECT id, pg_current_xact_id(), state_version FROM %s', rel);
  EXECUTE format('SELECT pg_notify($1, $2 || id || $3) FROM %s', rel)
    USING TG_ARGV[0], '{"table":"' || tbl || '","op":"DELETE","session_id":"', '"}';
  RETURN NULL;
END
$$;

-- Installs (or re-creates with these arguments) the TRUNCATE trigger on a table and every
-- relation of its partition tree. Run by this file and by every `pgbridge migrate`.
CREATE OR REPLACE FUNCTION "${schema}".pgbridge_install_truncate_triggers(
    target regclass, channel text, logical_name text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  r regclass;
  installed integer := 0;
  args bytea := convert_to(channel, 'UTF8') || '\x00'::bytea
    || convert_to(logical_name, 'UTF8') || '\x00'::bytea;
BEGIN
  FOR r IN SELECT target UNION SELECT t.relid FROM pg_partition_tree(target) t LOOP
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_trigger g WHERE g.tgrelid = r
        AND g.tgname = 'pgbridge_truncate' AND g.tgargs = args) THEN
      CONTINUE;
    END IF;
    EXECUTE format('DROP TRIGGER IF EXISTS pgbridge_truncate ON %s', r);
    EXECUTE format('CREATE TRIGGER pgbridge_truncate BEFORE TRUNCATE ON %s FOR EACH STATEMENT'
        || ' EXECUTE FUNCTION "${schema}".pgbridge_truncate_sessions(%L, %L)',
        r, channel, logical_name);
    installed := installed + 1;
  END LOOP;
  RETURN installed;
END
$$;

DROP TRIGGER IF EXISTS pgbridge_notify ON "${schema}"."${sessions_table}";
CREATE TRIGGER pgbridge_notify
  AFTER INSERT OR UPDATE OR DELETE ON "${schema}"."${sessions_table}"
  FOR EACH ROW EXECUTE FUNCTION "${schema}".pgbridge_notify_session('${channel}', '${sessions_table}');

DROP TRIGGER IF EXISTS pgbridge_notify ON "${schema}".generation_todos;
CREATE TRIGGER pgbridge_notify
  AFTER INSERT OR UPDATE OR DELETE ON "${schema}".generation_todos
  FOR EACH ROW EXECUTE FUNCTION "${schema}".pgbridge_notify_child('${channel}', 'generation_todos');

DROP TRIGGER IF EXISTS pgbridge_notify ON "${schema}".generation_tool_calls;
CREATE TRIGGER pgbridge_notify
  AFTER INSERT OR UPDATE OR DELETE ON "${schema}".generation_tool_calls
  FOR EACH ROW EXECUTE FUNCTION "${schema}".pgbridge_notify_child('${channel}', 'generation_tool_calls');

DROP TRIGGER IF EXISTS pgbridge_notify ON "${schema}".generation_notes;
CREATE TRIGGER pgbridge_notify
  AFTER INSERT OR UPDATE OR DELETE ON "${schema}".generation_notes
  FOR EACH ROW EXECUTE FUNCTION "${schema}".pgbridge_notify_child('${channel}', 'generation_notes');

SELECT "${schema}".pgbridge_install_truncate_triggers('"${schema}"."${sessions_table}"'::regclass,
  '${channel}', '${sessions_table}');
