#!/usr/bin/env bash
# What the trigger changes of V005-V008 (version from the clock, SECURITY DEFINER with a pinned
# search_path) cost writers: the same pgbench transaction (three child rows and a raw_state
# refresh) on two databases of one server, w_before (V001-V004) and w_after (V001-V008),
# alternating, three rounds of 15 s, best round counts.
# Usage: docs/bench/trigger-changes.sh "psql connection options" (e.g. "-h /tmp/pgq -p 54329 -U postgres")
set -euo pipefail
CONN=${1:?psql connection options}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
dir=$(mktemp -d)
cd "$(dirname "$0")/../.."
for f in sql/V00*.sql; do
  sed 's/\${schema}/public/g; s/\${sessions_table}/generation_sessions/g; s/\${channel}/generation_updates/g' \
    "$f" > "$dir/$(basename "$f")"
done
P="psql -q $CONN -v ON_ERROR_STOP=1"
for db in w_before w_after; do
  $P -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  for f in "$dir"/V00[1-4]*.sql; do $P -d $db -f "$f" >/dev/null; done
done
for f in "$dir"/V00[5-8]*.sql; do $P -d w_after -f "$f" >/dev/null; done
for db in w_before w_after; do
  $P -d $db -c "CREATE TABLE ids (n int PRIMARY KEY, id uuid NOT NULL)" \
    -c "INSERT INTO ids SELECT g, gen_random_uuid() FROM generate_series(1, 2000) g" \
    -c "INSERT INTO generation_sessions (id, project_id, raw_state) SELECT id, gen_random_uuid(), '{}' FROM ids" \
    -c "VACUUM ANALYZE"
done
cat > "$dir/tx.sql" <<'SQL'
\set n random(1, 2000)
BEGIN;
INSERT INTO generation_todos (session_id, content) SELECT id, 'step' FROM ids WHERE n = :n;
INSERT INTO generation_notes (session_id, body) SELECT id, 'note' FROM ids WHERE n = :n;
INSERT INTO generation_tool_calls (session_id, tool_name) SELECT id, 'tool' FROM ids WHERE n = :n;
UPDATE generation_sessions SET raw_state = '{"step":1,"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}', updated_at = now() WHERE id = (SELECT id FROM ids WHERE n = :n);
COMMIT;
SQL
uptime
for c in 1 8; do for r in 1 2 3; do for db in w_before w_after; do
  echo "$c $r $db $("$PGBIN"/pgbench $CONN -n -f "$dir/tx.sql" -c $c -j $c -T 15 $db 2>/dev/null | awk '/^tps/ {print $3}')"
done; done; done
uptime
