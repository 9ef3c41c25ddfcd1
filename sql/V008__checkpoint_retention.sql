-- The deletion log was pruned below the oldest stored checkpoint, which removed entries that
-- others still needed:
--
--  * the settle pass after a takeover re-sends the deletions logged since the takeover's
--    checkpoint, ha.takeover.settle.ms later, but the new leader's own checkpoints pruned
--    them within seconds, so a late record of the old leader could stay last for a deleted
--    session;
--  * a bridge.id that had published but not yet stored its first checkpoint had no row, so
--    the deletions another bridge.id pruned were lost to it.
--
-- A row of pgbridge_checkpoint may now also hold a snapshot to retain: the log is pruned only
-- below the oldest snapshot and the oldest retained snapshot of every bridge.id. A bridge
-- registers (snapshot NULL, retain set) before it publishes anything on its first start; a
-- leader retains its takeover checkpoint until the settle pass has published. A retained
-- snapshot outlives a crash, so the next leader settles from it. A bridge.id that is gone for
-- good holds the log back until its row is deleted (`check` warns about stale rows).
--
-- Safe to apply again. Placeholders, replaced by `pgbridge migrate` with validated
-- identifiers: ${schema}  ${sessions_table}  ${channel}

ALTER TABLE "${schema}".pgbridge_checkpoint
  ALTER COLUMN snapshot DROP NOT NULL,
  ADD COLUMN IF NOT EXISTS retain pg_snapshot;
