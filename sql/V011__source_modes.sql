-- Two change sources (source.mode): notify, the row triggers' pg_notify that the bridge
-- LISTENs to, and wal, a logical replication slot reading a publication of the four tables.
-- The mode is chosen when migrating (`pgbridge migrate --source-mode notify|wal`), so this
-- file only installs what both need and the function that puts a database in one mode;
-- `migrate` calls it after the files on every run:
--
--   SELECT * FROM "${schema}".pgbridge_source_mode_apply(mode, publication, channel);
--
-- Both modes keep the version trigger, the deletion log and a TRUNCATE trigger on the sessions
-- table and each of its partitions. notify adds the pg_notify row triggers (V002, V006).
-- wal has no pg_notify anywhere (writers no longer take NOTIFY's commit lock): a row trigger
-- only logs deletions, the TRUNCATE trigger logs every id and emits a transactional logical
-- message 'pgbridge.truncate' (pgoutput sends no TRUNCATE for a partition when the publication
-- publishes via the partition root), and the publication carries, on PostgreSQL 15+, only the
-- columns the bridge reads plus every replica identity column (an UPDATE of a table whose
-- replica identity a column list does not cover fails). A child table's DELETE must carry its
-- session_id in the old key, so a child whose replica identity lacks session_id gets a unique
-- index on (session_id, its primary key) as replica identity, on every leaf partition too.
--
-- Applying a mode drops the other mode's objects. Leaving wal also drops the replication
-- slots the bridges recorded in pgbridge_checkpoint.wal_slot, and refuses (changing nothing)
-- while one is active: a bridge still streaming from it must be stopped first. A catch-up a
-- WAL bridge still owed (wal_catchup_from) moves into that bridge's checkpoint, so the next
-- notify start replays it. The recorded mode (pgbridge_source_mode) lets a bridge refuse to
-- start in the other mode, and keeps a bridge of the old mode that is still running from
-- storing checkpoints past changes it never saw. No row means notify (databases migrated
-- before this file).
--
-- Safe to apply again. Placeholders, replaced by `pgbridge migrate` with validated
-- identifiers: ${schema}  ${sessions_table}  ${channel}

ALTER TABLE "${schema}".pgbridge_checkpoint
  ADD COLUMN IF NOT EXISTS wal_slot text,
  ADD COLUMN IF NOT EXISTS wal_catchup_from text;
-- two bridge ids on one slot would each confirm positions the other has not published
CREATE UNIQUE INDEX IF NOT EXISTS pgbridge_checkpoint_wal_slot_idx
  ON "${schema}".pgbridge_checkpoint (wal_slot) WHERE wal_slot IS NOT NULL;

CREATE TABLE IF NOT EXISTS "${schema}".pgbridge_source_mode (
  single       boolean     PRIMARY KEY DEFAULT true CHECK (single),
  mode         text        NOT NULL CHECK (mode IN ('notify', 'wal')),
  publication  text,
  changed_at   timestamptz NOT NULL DEFAULT now()
);
-- every bridge reads it at start, and the run roles of existing deployments have no grant on
-- a table that did not exist when they were set up; it holds nothing secret
GRANT SELECT ON "${schema}".pgbridge_source_mode TO PUBLIC;

-- AFTER DELETE OR UPDATE OF id on the sessions table (wal): the deletion log alone.
CREATE OR REPLACE FUNCTION "${schema}".pgbridge_log_session_deletion() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF TG_OP = 'DELETE' OR OLD.id IS DISTINCT FROM NEW.id THEN
    INSERT INTO "${schema}".pgbridge_deleted_sessions (session_id, txid, state_version)
      VALUES (OLD.id, pg_current_xact_id(), OLD.state_version);
  END IF;
  RETURN NULL;
END
$$;

-- BEFORE TRUNCATE, per statement, on the sessions table and each partition (wal). TG_ARGV:
-- table name. Logs the rows of the relation it fires on and tells the WAL source, which then
-- walks the deletion log.
CREATE OR REPLACE FUNCTION "${schema}".pgbridge_truncate_sessions_wal() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  tbl text := COALESCE(TG_ARGV[0], TG_TABLE_NAME);
BEGIN
  IF (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = TG_RELID) = 'p' THEN
    RETURN NULL; -- a partitioned parent holds no rows; its partitions' triggers fire too
  END IF;
  EXECUTE format('INSERT INTO "${schema}".pgbridge_deleted_sessions'
      || ' (session_id, txid, state_version)'
      || ' SELECT id, pg_current_xact_id(), state_version FROM %s', TG_RELID::regclass);
  PERFORM pg_logical_emit_message(true, 'pgbridge.truncate', tbl);
  RETURN NULL;
END
$$;

-- A table or index and, when it is partitioned, every relation of its partition tree
-- (pg_partition_tree alone returns nothing for a relation that is not partitioned).
CREATE OR REPLACE FUNCTION "${schema}".pgbridge_relations(rel regclass)
RETURNS TABLE (relid regclass, isleaf boolean)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT c.oid::regclass, c.relkind NOT IN ('p', 'I') FROM pg_class c WHERE c.oid = rel
  UNION
  SELECT t.relid, t.isleaf FROM pg_partition_tree(rel) t
$$;

-- The columns of a table's replica identity: the old key a DELETE or UPDATE writes to the
-- WAL. FULL is every column; DEFAULT without a primary key and NOTHING are none.
CREATE OR REPLACE FUNCTION "${schema}".pgbridge_replica_identity_columns(rel regclass)
RETURNS text[] LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT COALESCE(CASE c.relreplident
    WHEN 'f' THEN (SELECT array_agg(a.attname::text ORDER BY a.attnum)
      FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
    WHEN 'n' THEN NULL
    ELSE (SELECT array_agg(a.attname::text ORDER BY a.attnum)
      FROM pg_index i JOIN pg_attribute a
        ON a.attrelid = c.oid AND a.attnum = ANY (i.indkey::int2[])
      WHERE i.indrelid = c.oid
        AND CASE c.relreplident WHEN 'i' THEN i.indisreplident ELSE i.indisprimary END)
  END, ARRAY[]::text[])
  FROM pg_class c WHERE c.oid = rel
$$;

-- (Re-)creates the TRUNCATE trigger pgbridge_truncate, calling func(args), on a table and
-- every relation of its partition tree where it is missing or different. Returns how many.
CREATE OR REPLACE FUNCTION "${schema}".pgbridge_install_truncate_trigger(
    target regclass, func regproc, args text[]) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  r regclass;
  installed integer := 0;
  raw bytea := COALESCE((SELECT string_agg(convert_to(a, 'UTF8') || '\x00'::bytea, ''::bytea
    ORDER BY n) FROM unnest(args) WITH ORDINALITY AS u(a, n)), ''::bytea);
BEGIN
  FOR r IN SELECT target UNION SELECT t.relid FROM pg_partition_tree(target) t LOOP
    IF EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = r AND g.tgname = 'pgbridge_truncate'
        AND g.tgfoid = func AND g.tgargs = raw) THEN
      CONTINUE;
    END IF;
    EXECUTE format('DROP TRIGGER IF EXISTS pgbridge_truncate ON %s', r);
    EXECUTE format('CREATE TRIGGER pgbridge_truncate BEFORE TRUNCATE ON %s FOR EACH STATEMENT'
        || ' EXECUTE FUNCTION %s(%s)', r, func,
        (SELECT string_agg(format('%L', a), ', ' ORDER BY n)
          FROM unnest(args) WITH ORDINALITY AS u(a, n)));
    installed := installed + 1;
  END LOOP;
  RETURN installed;
END
$$;

-- A row trigger pgbridge_* on a table: (re-)created when missing or different, dropped when
-- func is null. Row triggers on a partitioned table are cloned to its partitions and dropped
-- with it. Returns a line saying what changed, or nothing.
CREATE OR REPLACE FUNCTION "${schema}".pgbridge_ensure_row_trigger(
    tbl regclass, name text, timing text, func regproc, args text[]) RETURNS SETOF text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  raw bytea := COALESCE((SELECT string_agg(convert_to(a, 'UTF8') || '\x00'::bytea, ''::bytea
    ORDER BY n) FROM unnest(args) WITH ORDINALITY AS u(a, n)), ''::bytea);
  definition text := format('CREATE TRIGGER %I %s ON %s FOR EACH ROW EXECUTE FUNCTION %s(%s)',
    name, timing, tbl, func, (SELECT string_agg(format('%L', a), ', ' ORDER BY n)
      FROM unnest(args) WITH ORDINALITY AS u(a, n)));
  existing text;
BEGIN
  SELECT pg_get_triggerdef(g.oid) INTO existing FROM pg_trigger g
    WHERE g.tgrelid = tbl AND g.tgname = name AND NOT g.tgisinternal AND g.tgparentid = 0;
  IF func IS NULL THEN
    IF existing IS NOT NULL THEN
      EXECUTE format('DROP TRIGGER %I ON %s', name, tbl);
      RETURN NEXT format('dropped trigger %s on %s', name, tbl);
    END IF;
    RETURN;
  END IF;
  IF existing IS NOT NULL AND EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = tbl
      AND g.tgname = name AND g.tgfoid = func AND g.tgargs = raw
      AND pg_get_triggerdef(g.oid) = definition) THEN
    RETURN;
  END IF;
  EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', name, tbl);
  EXECUTE definition;
  RETURN NEXT format('created trigger %s on %s', name, tbl);
END
$$;

-- Puts the database in source mode `mode` ('notify' or 'wal'): the mode's triggers, for wal
-- the publication `publication` and the child tables' replica identity, the other mode's
-- objects dropped, and the mode recorded. `channel` is listen.channel (notify's triggers).
-- Returns a line per change; nothing when the database already is as asked.
CREATE OR REPLACE FUNCTION "${schema}".pgbridge_source_mode_apply(
    mode text, publication text, channel text) RETURNS SETOF text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  sessions regclass := '"${schema}"."${sessions_table}"'::regclass;
  children text[] := ARRAY['generation_todos', 'generation_tool_calls', 'generation_notes'];
  child text;
  rel regclass;
  leaf regclass;
  idx regclass;
  leaf_idx regclass;
  idx_name text;
  cols text[];
  wanted text[];
  spec text;
  specs text[] := ARRAY[]::text[];
  canonical text[] := ARRAY[]::text[];
  current_canonical text[];
  column_lists boolean := current_setting('server_version_num')::int >= 150000;
  recorded record;
  slot record;
  slots text[] := ARRAY[]::text[];
  line text;
  ri_comment constant text := 'pgbridge: replica identity for source.mode=wal';
BEGIN
  IF mode IS NULL OR mode NOT IN ('notify', 'wal') THEN
    RAISE EXCEPTION 'source mode must be notify or wal, not %', COALESCE(mode, 'null');
  END IF;
  IF publication IS NULL OR publication !~ '^[A-Za-z_][A-Za-z0-9_$]*$'
      OR octet_length(publication) > 63 THEN
    RAISE EXCEPTION 'publication name % is not a plain SQL identifier', publication;
  END IF;
  IF channel IS NULL OR channel !~ '^[A-Za-z_][A-Za-z0-9_$]*$' OR octet_length(channel) > 63 THEN
    RAISE EXCEPTION 'channel % is not a plain SQL identifier', channel;
  END IF;
  SELECT m.mode, m.publication INTO recorded FROM "${schema}".pgbridge_source_mode m;

  IF mode = 'notify' THEN
    -- refuse before changing anything while a bridge streams from a recorded slot
    FOR slot IN SELECT s.slot_name::text AS name, s.active, s.active_pid
        FROM pg_replication_slots s
        WHERE s.database = current_database() AND s.slot_name::text IN
          (SELECT k.wal_slot FROM "${schema}".pgbridge_checkpoint k WHERE k.wal_slot IS NOT NULL)
        ORDER BY 1 LOOP
      IF slot.active THEN
        RAISE EXCEPTION 'replication slot % is active (walsender pid %): a bridge in'
          ' source.mode=wal still streams from it; stop it, then run pgbridge migrate'
          ' --source-mode notify again (nothing was changed)', slot.name, slot.active_pid
          USING ERRCODE = '55006';
      END IF;
      slots := slots || slot.name;
    END LOOP;

    RETURN QUERY SELECT * FROM "${schema}".pgbridge_ensure_row_trigger(sessions,
      'pgbridge_deletion_log', '', NULL, NULL);
    RETURN QUERY SELECT * FROM "${schema}".pgbridge_ensure_row_trigger(sessions,
      'pgbridge_notify', 'AFTER INSERT OR DELETE OR UPDATE',
      '"${schema}".pgbridge_notify_session'::regproc, ARRAY[channel, '${sessions_table}']);
    FOREACH child IN ARRAY children LOOP
      RETURN QUERY SELECT * FROM "${schema}".pgbridge_ensure_row_trigger(
        format('%I.%I', '${schema}', child)::regclass, 'pgbridge_notify',
        'AFTER INSERT OR DELETE OR UPDATE', '"${schema}".pgbridge_notify_child'::regproc,
        ARRAY[channel, child]);
    END LOOP;
    IF "${schema}".pgbridge_install_truncate_trigger(sessions,
        '"${schema}".pgbridge_truncate_sessions'::regproc,
        ARRAY[channel, '${sessions_table}']) > 0 THEN
      RETURN NEXT format('installed the notify TRUNCATE trigger on %s and its partitions',
        sessions);
    END IF;

    IF recorded.publication IS NOT NULL
        AND EXISTS (SELECT 1 FROM pg_publication p WHERE p.pubname = recorded.publication) THEN
      EXECUTE format('DROP PUBLICATION %I', recorded.publication);
      RETURN NEXT format('dropped publication %I', recorded.publication);
    END IF;
    -- the replica identity indexes only cost writers now
    FOR idx IN SELECT i.indexrelid::regclass FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
        WHERE t.relnamespace = '"${schema}"'::regnamespace
          AND obj_description(i.indexrelid, 'pg_class') = ri_comment
          AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid) LOOP
      FOR leaf IN SELECT i.indrelid::regclass FROM "${schema}".pgbridge_relations(idx) t
          JOIN pg_index i ON i.indexrelid = t.relid WHERE i.indisreplident LOOP
        EXECUTE format('ALTER TABLE %s REPLICA IDENTITY DEFAULT', leaf);
      END LOOP;
      idx_name := idx::text;
      EXECUTE format('DROP INDEX %s', idx);
      RETURN NEXT format('dropped index %s (the replica identity of source.mode=wal)',
        idx_name);
    END LOOP;

    -- a catch-up a WAL bridge still owed is owed by the notify bridge of that bridge.id: its
    -- checkpoint goes back to where that catch-up starts ('all': a snapshot that sees nothing)
    UPDATE "${schema}".pgbridge_checkpoint k SET snapshot = CASE k.wal_catchup_from
        WHEN 'all' THEN '1:1:'::pg_snapshot ELSE k.wal_catchup_from::pg_snapshot END
      WHERE k.wal_catchup_from IS NOT NULL;
    UPDATE "${schema}".pgbridge_checkpoint k SET wal_slot = NULL, wal_catchup_from = NULL
      WHERE k.wal_slot IS NOT NULL OR k.wal_catchup_from IS NOT NULL;
  ELSE
    -- a child's DELETE must carry session_id in its old key
    FOREACH child IN ARRAY children LOOP
      rel := format('%I.%I', '${schema}', child)::regclass;
      IF NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = rel
          AND a.attname = 'session_id' AND a.attnotnull AND NOT a.attisdropped) THEN
        RAISE EXCEPTION 'column session_id of % must be NOT NULL for source.mode=wal (it is part'
          ' of the replica identity that tells the bridge which session a deleted row belonged'
          ' to): ALTER TABLE % ALTER COLUMN session_id SET NOT NULL, then migrate again',
          rel, rel;
      END IF;
      IF EXISTS (SELECT 1 FROM "${schema}".pgbridge_relations(rel) t WHERE t.isleaf AND NOT
          ('session_id' = ANY ("${schema}".pgbridge_replica_identity_columns(t.relid)))) THEN
        SELECT array_agg(a.attname::text ORDER BY array_position(i.indkey::int2[], a.attnum))
          INTO cols FROM pg_index i JOIN pg_attribute a
            ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])
          WHERE i.indrelid = rel AND i.indisprimary;
        IF cols IS NULL THEN
          IF NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = rel AND a.attname = 'id'
              AND NOT a.attisdropped) THEN
            RAISE EXCEPTION 'table % has neither a primary key nor an id column: source.mode=wal'
              ' needs a unique key of its rows with session_id as replica identity', rel;
          END IF;
          cols := ARRAY['id'];
        END IF;
        cols := ARRAY['session_id'] || array_remove(cols, 'session_id');
        idx_name := left(child, 50) || '_pgbridge_ri';
        idx := to_regclass(format('%I.%I', '${schema}', idx_name));
        IF idx IS NULL THEN
          EXECUTE format('CREATE UNIQUE INDEX %I ON %s (%s)', idx_name, rel,
            (SELECT string_agg(format('%I', c), ', ' ORDER BY n)
              FROM unnest(cols) WITH ORDINALITY AS u(c, n)));
          idx := format('%I.%I', '${schema}', idx_name)::regclass;
          EXECUTE format('COMMENT ON INDEX %s IS %L', idx, ri_comment);
          RETURN NEXT format('created unique index %s on %s (%s)', idx, rel,
            array_to_string(cols, ', '));
        END IF;
        -- the index of every relation of the tree (a partitioned index has one per partition)
        FOR leaf, leaf_idx IN SELECT i.indrelid::regclass, i.indexrelid::regclass
            FROM "${schema}".pgbridge_relations(idx) t JOIN pg_index i ON i.indexrelid = t.relid
            WHERE NOT i.indisreplident LOOP
          EXECUTE format('ALTER TABLE %s REPLICA IDENTITY USING INDEX %I', leaf,
            (SELECT c.relname FROM pg_class c WHERE c.oid = leaf_idx));
          RETURN NEXT format('replica identity of %s: index %s', leaf, leaf_idx);
        END LOOP;
      END IF;
    END LOOP;

    IF EXISTS (SELECT 1 FROM "${schema}".pgbridge_relations(sessions) t WHERE t.isleaf
        AND NOT ('id' = ANY ("${schema}".pgbridge_replica_identity_columns(t.relid)))) THEN
      RAISE EXCEPTION 'table % has no replica identity with its id (a primary key on id):'
        ' source.mode=wal reads a deleted session''s id from it', sessions;
    END IF;

    -- the publication: per table the columns the bridge reads and every replica identity
    -- column of the table and its partitions; a relation with REPLICA IDENTITY FULL takes no
    -- column list at all (PostgreSQL refuses its updates otherwise)
    FOREACH child IN ARRAY ARRAY['${sessions_table}'] || children LOOP
      rel := format('%I.%I', '${schema}', child)::regclass;
      wanted := CASE WHEN rel = sessions THEN ARRAY['id', 'state_version']
        ELSE ARRAY['id', 'session_id'] END;
      SELECT array_agg(DISTINCT c) INTO cols FROM (
          SELECT unnest(wanted) AS c
          UNION SELECT unnest("${schema}".pgbridge_replica_identity_columns(t.relid))
            FROM "${schema}".pgbridge_relations(rel) t) u;
      SELECT array_agg(a.attname::text ORDER BY a.attnum) INTO cols FROM pg_attribute a
        WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped AND a.attname = ANY (cols);
      IF NOT column_lists OR EXISTS (SELECT 1 FROM "${schema}".pgbridge_relations(rel) t
          JOIN pg_class c ON c.oid = t.relid WHERE c.relreplident = 'f') THEN
        specs := specs || rel::text;
        canonical := canonical || (rel::oid::text || ':');
      ELSE
        specs := specs || (rel::text || ' (' || (SELECT string_agg(format('%I', c), ', '
          ORDER BY n) FROM unnest(cols) WITH ORDINALITY AS u(c, n)) || ')');
        canonical := canonical || (rel::oid::text || ':' || (SELECT string_agg(a.attnum::text,
          ' ' ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = rel
          AND a.attname = ANY (cols)));
      END IF;
    END LOOP;
    spec := array_to_string(specs, ', ');

    IF recorded.publication IS NOT NULL AND recorded.publication <> publication
        AND EXISTS (SELECT 1 FROM pg_publication p WHERE p.pubname = recorded.publication) THEN
      EXECUTE format('DROP PUBLICATION %I', recorded.publication);
      RETURN NEXT format('dropped publication %I (wal.publication.name is now %I)',
        recorded.publication, publication);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_publication p WHERE p.pubname = publication) THEN
      EXECUTE format('CREATE PUBLICATION %I FOR TABLE %s WITH (publish = %L,'
        || ' publish_via_partition_root = true)', publication, spec,
        'insert, update, delete, truncate');
      RETURN NEXT format('created publication %I for table %s', publication, spec);
    ELSE
      IF EXISTS (SELECT 1 FROM pg_publication p WHERE p.pubname = publication
          AND p.puballtables) THEN
        RAISE EXCEPTION 'publication % is FOR ALL TABLES: choose another wal.publication.name'
          ' for pgbridge''s own publication', publication;
      END IF;
      IF EXISTS (SELECT 1 FROM pg_publication p WHERE p.pubname = publication AND NOT (
          p.pubinsert AND p.pubupdate AND p.pubdelete AND p.pubtruncate AND p.pubviaroot)) THEN
        EXECUTE format('ALTER PUBLICATION %I SET (publish = %L, publish_via_partition_root'
          || ' = true)', publication, 'insert, update, delete, truncate');
        RETURN NEXT format('publication %I: publish insert, update, delete, truncate via the'
          || ' partition root', publication);
      END IF;
      IF column_lists THEN
        -- prattrs and pg_publication_namespace are 15+: not parsed on 14
        EXECUTE 'SELECT array_agg(x ORDER BY x) FROM (SELECT r.prrelid::oid::text || '':'''
          || ' || COALESCE(array_to_string(r.prattrs::int2[], '' ''), '''') AS x'
          || ' FROM pg_publication_rel r JOIN pg_publication p ON p.oid = r.prpubid'
          || ' WHERE p.pubname = $1 AND NOT EXISTS (SELECT 1 FROM pg_publication_namespace n'
          || ' WHERE n.pnpubid = p.oid)) s'
          INTO current_canonical USING publication;
      ELSE
        SELECT array_agg(x ORDER BY x) INTO current_canonical FROM (
          SELECT r.prrelid::oid::text || ':' AS x FROM pg_publication_rel r
            JOIN pg_publication p ON p.oid = r.prpubid WHERE p.pubname = publication) s;
      END IF;
      IF current_canonical IS DISTINCT FROM (SELECT array_agg(x ORDER BY x)
          FROM unnest(canonical) x) THEN
        EXECUTE format('ALTER PUBLICATION %I SET TABLE %s', publication, spec);
        RETURN NEXT format('publication %I: tables %s', publication, spec);
      END IF;
    END IF;

    RETURN QUERY SELECT * FROM "${schema}".pgbridge_ensure_row_trigger(sessions,
      'pgbridge_notify', '', NULL, NULL);
    FOREACH child IN ARRAY children LOOP
      RETURN QUERY SELECT * FROM "${schema}".pgbridge_ensure_row_trigger(
        format('%I.%I', '${schema}', child)::regclass, 'pgbridge_notify', '', NULL, NULL);
    END LOOP;
    RETURN QUERY SELECT * FROM "${schema}".pgbridge_ensure_row_trigger(sessions,
      'pgbridge_deletion_log', 'AFTER DELETE OR UPDATE OF id',
      '"${schema}".pgbridge_log_session_deletion'::regproc, ARRAY[]::text[]);
    IF "${schema}".pgbridge_install_truncate_trigger(sessions,
        '"${schema}".pgbridge_truncate_sessions_wal'::regproc,
        ARRAY['${sessions_table}']) > 0 THEN
      RETURN NEXT format('installed the wal TRUNCATE trigger on %s and its partitions',
        sessions);
    END IF;
  END IF;

  IF recorded IS NULL OR recorded.mode IS DISTINCT FROM mode
      OR recorded.publication IS DISTINCT FROM
        (CASE WHEN mode = 'wal' THEN publication END) THEN
    INSERT INTO "${schema}".pgbridge_source_mode AS m (single, mode, publication, changed_at)
      VALUES (true, mode, CASE WHEN mode = 'wal' THEN publication END, now())
      ON CONFLICT (single) DO UPDATE SET mode = EXCLUDED.mode,
        publication = EXCLUDED.publication, changed_at = EXCLUDED.changed_at;
    RETURN NEXT format('recorded source mode %s', mode);
  END IF;

  -- last, because a dropped slot is not restored if the transaction rolls back
  FOREACH line IN ARRAY slots LOOP
    PERFORM pg_drop_replication_slot(line);
    RETURN NEXT format('dropped replication slot %s (recorded by a bridge in source.mode=wal)',
      line);
  END LOOP;
END
$$;

REVOKE ALL ON FUNCTION "${schema}".pgbridge_source_mode_apply(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION "${schema}".pgbridge_install_truncate_trigger(regclass, regproc, text[])
  FROM PUBLIC;
REVOKE ALL ON FUNCTION "${schema}".pgbridge_ensure_row_trigger(regclass, text, text, regproc,
  text[]) FROM PUBLIC;
