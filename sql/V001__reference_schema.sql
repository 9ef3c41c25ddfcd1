-- Reference schema of the generation platform: the four tables pgbridge publishes from.
-- Used by the tests, the demo and anyone starting fresh. An application that already has
-- these tables can skip this file (pgbridge migrate --bridge-only); the bridge's own objects
-- are in V002.
--
-- Placeholders, replaced by `pgbridge migrate` with validated identifiers:
--   ${schema}  ${sessions_table}  ${channel}

CREATE SCHEMA IF NOT EXISTS "${schema}";

CREATE TABLE IF NOT EXISTS "${schema}"."${sessions_table}" (
  id          uuid        PRIMARY KEY,
  project_id  uuid        NOT NULL,
  status      text        NOT NULL DEFAULT 'pending',
  raw_state   jsonb,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS "${schema}".generation_todos (
  id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id  uuid        NOT NULL REFERENCES "${schema}"."${sessions_table}" (id) ON DELETE CASCADE,
  position    integer     NOT NULL DEFAULT 0,
  content     text        NOT NULL,
  status      text        NOT NULL DEFAULT 'pending',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS generation_todos_session_id_idx
  ON "${schema}".generation_todos (session_id);

CREATE TABLE IF NOT EXISTS "${schema}".generation_tool_calls (
  id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id  uuid        NOT NULL REFERENCES "${schema}"."${sessions_table}" (id) ON DELETE CASCADE,
  tool_name   text        NOT NULL,
  input       jsonb,
  output      jsonb,
  state       text        NOT NULL DEFAULT 'running',
  started_at  timestamptz NOT NULL DEFAULT now(),
  ended_at    timestamptz
);
CREATE INDEX IF NOT EXISTS generation_tool_calls_session_id_idx
  ON "${schema}".generation_tool_calls (session_id);

CREATE TABLE IF NOT EXISTS "${schema}".generation_notes (
  id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id  uuid        NOT NULL REFERENCES "${schema}"."${sessions_table}" (id) ON DELETE CASCADE,
  kind        text        NOT NULL DEFAULT 'info',
  body        text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS generation_notes_session_id_idx
  ON "${schema}".generation_notes (session_id);
