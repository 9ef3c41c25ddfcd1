-- The trigger functions read and write pgbridge's own tables: every INSERT reads the deletion
-- log (V004, V005), every DELETE and TRUNCATE writes it. Run with the writer's privileges, an
-- application role that owns neither got "permission denied" on its own writes once a
-- separate migration role installed pgbridge. They now run with the privileges of their owner
-- (the role that ran `pgbridge migrate`, which owns the deletion log), with a search_path
-- pinned to pg_catalog so that no object of the writer's choosing can stand in for a built-in;
-- every pgbridge object they use is schema-qualified. Writers need no privilege beyond their
-- own DML on the four tables.
--
-- Safe to apply again. Placeholders, replaced by `pgbridge migrate` with validated
-- identifiers: ${schema}  ${sessions_table}  ${channel}

ALTER FUNCTION "${schema}".pgbridge_session_version()
  SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION "${schema}".pgbridge_notify_session()
  SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION "${schema}".pgbridge_notify_child()
  SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION "${schema}".pgbridge_truncate_sessions()
  SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
-- called only by migrate, as the owner: nobody else needs it
REVOKE ALL ON FUNCTION "${schema}".pgbridge_install_truncate_triggers(regclass, text, text)
  FROM PUBLIC;
