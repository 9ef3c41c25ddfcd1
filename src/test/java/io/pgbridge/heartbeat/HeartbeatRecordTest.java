package io.pgbridge.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HeartbeatRecordTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void valueCarriesTheContractFieldsWithTheirTypes() throws Exception {
    PublishedPosition p = new PublishedPosition(Instant.parse("2026-12-02T10:15:25.001Z"),
        "742:745:743", Map.of(1, 988L, 0, 1234L));
    JsonNode v = JSON.readTree(HeartbeatRecord.value("pgbridge", "pgbridge-3fa2c1",
        Instant.parse("2026-12-02T10:15:30.123Z"), 2000, "notify", Optional.of(p)));

    assertThat(v.fieldNames()).toIterable().containsExactly("bridgeId", "instance", "time",
        "intervalMs", "source", "publishedUpTo", "position", "offsets");
    assertThat(v.get("bridgeId").asText()).isEqualTo("pgbridge");
    assertThat(v.get("instance").asText()).isEqualTo("pgbridge-3fa2c1");
    assertThat(v.get("time").asText()).isEqualTo("2026-12-02T10:15:30.123Z");
    assertThat(v.get("intervalMs").isIntegralNumber()).isTrue();
    assertThat(v.get("intervalMs").asLong()).isEqualTo(2000);
    assertThat(v.get("source").asText()).isEqualTo("notify");
    assertThat(v.get("publishedUpTo").asText()).isEqualTo("2026-12-02T10:15:25.001Z");
    assertThat(v.get("position").asText()).isEqualTo("742:745:743");
    assertThat(v.get("offsets").fieldNames()).toIterable().containsExactly("0", "1");
    assertThat(v.get("offsets").get("0").isIntegralNumber()).isTrue();
    assertThat(v.get("offsets").get("0").asLong()).isEqualTo(1234);
    assertThat(v.get("offsets").get("1").asLong()).isEqualTo(988);
  }

  @Test
  void unknownPositionIsNullWithNoOffsets() throws Exception {
    JsonNode v = JSON.readTree(HeartbeatRecord.value("b", "b-1", Instant.EPOCH, 500, "notify",
        Optional.empty()));
    assertThat(v.get("publishedUpTo").isNull()).isTrue();
    assertThat(v.get("position").isNull()).isTrue();
    assertThat(v.get("offsets").isObject()).isTrue();
    assertThat(v.get("offsets").size()).isZero();
  }

  @Test
  void keyIsTheBridgeIdAsUtf8() {
    assertThat(new String(HeartbeatRecord.key("gen-state.eu"), StandardCharsets.UTF_8))
        .isEqualTo("gen-state.eu");
  }
}
