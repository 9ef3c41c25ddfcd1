package io.pgbridge.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.SessionWriter;
import io.pgbridge.testing.TestInfra;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The batched state query against a real PostgreSQL. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StateFetcherIT {

  @Test
  void readsManySessionsInOneQueryAndSkipsStatesNotNewerThanKnown() throws Exception {
    BridgeHarness h = BridgeHarness.create("fetcher_it", 1);
    UUID a = UUID.randomUUID();
    UUID b = UUID.randomUUID();
    UUID c = UUID.randomUUID();
    UUID missing = UUID.randomUUID();
    try (Connection conn = h.connect(); HikariDataSource pool = new HikariDataSource()) {
      SessionWriter.insert(conn, a, UUID.randomUUID(), "{\"a\":1}");
      SessionWriter.insert(conn, b, UUID.randomUUID(), "{\"b\":1}");
      SessionWriter.updateState(conn, b, "{\"b\":2}");
      SessionWriter.insert(conn, c, UUID.randomUUID(), null);
      pool.setJdbcUrl(h.jdbcUrl());
      pool.setUsername(TestInfra.postgres().user());
      pool.setPassword(TestInfra.postgres().password());
      StateFetcher fetcher = new StateFetcher(pool, "public", "generation_sessions");

      Map<UUID, SessionRow> rows = fetcher.fetch(List.of(a, b, c, missing),
          new Long[] {null, SessionWriter.version(conn, b), 0L, null});

      assertThat(rows).containsOnlyKeys(a, b, c);
      assertThat(new String(rows.get(a).rawState(), StandardCharsets.UTF_8))
          .isEqualTo("{\"a\": 1}");
      assertThat(rows.get(a).unchanged()).isFalse();
      // b's version is already published: its state is not even read
      assertThat(rows.get(b).version()).isEqualTo(SessionWriter.version(conn, b));
      assertThat(rows.get(b).unchanged()).isTrue();
      assertThat(rows.get(b).rawState()).isNull();
      // a null raw_state of a newer version is a real null, not an omitted one
      assertThat(rows.get(c).unchanged()).isFalse();
      assertThat(rows.get(c).rawState()).isNull();
    }
  }
}
