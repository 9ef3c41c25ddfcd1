package io.pgbridge.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgbridge.consumer.RecordDecoder.Decoded;
import io.pgbridge.consumer.RecordDecoder.InvalidRecordException;
import io.pgbridge.publish.RecordBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RecordDecoderTest {

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void theContractsHeaderNamesAreTheBridges() {
    assertThat(RecordContract.HEADER_PROJECT_ID).isEqualTo(RecordBuilder.HEADER_PROJECT_ID);
    assertThat(RecordContract.HEADER_VERSION).isEqualTo(RecordBuilder.HEADER_VERSION);
    assertThat(RecordContract.HEADER_UPDATED_AT).isEqualTo(RecordBuilder.HEADER_UPDATED_AT);
    assertThat(RecordContract.HEADER_DELETED).isEqualTo(RecordBuilder.HEADER_DELETED);
    assertThat(RecordContract.HEADER_SOURCES).isEqualTo(RecordBuilder.HEADER_SOURCES);
  }

  @Test
  void slicesTheEmbeddedStateOutOfTheEnvelopeUnchanged() throws Exception {
    String state = "{\"status\":\"running\",\"todos\":[{\"t\":\"a}\\\"b\"}],\"n\":1.5e3}";
    TopicRecord r = new TopicRecord(0, 0, 0, "s",
        utf8("{\"sessionId\":\"s\",\"projectId\":\"p\",\"version\":9,\"updatedAt\":\"t\","
            + "\"state\":" + state + "}"), Map.of());

    Decoded d = new RecordDecoder(RecordContract.ValueFormat.ENVELOPE, "status").decode(r);

    assertThat(new String(d.state(), StandardCharsets.UTF_8)).isEqualTo(state);
    assertThat(d.version()).isEqualTo(9);
    assertThat(d.projectId()).isEqualTo("p");
    assertThat(d.updatedAt()).isEqualTo("t");
    assertThat(d.status()).isEqualTo("running");
  }

  @Test
  void headersWinOverTheEnvelopeAndANullStateIsKept() throws Exception {
    TopicRecord r = new TopicRecord(0, 0, 0, "s",
        utf8("{\"sessionId\":\"s\",\"projectId\":\"x\",\"version\":1,\"state\":null}"),
        Map.of(RecordContract.HEADER_VERSION, "4", RecordContract.HEADER_PROJECT_ID, "p"));

    Decoded d = new RecordDecoder(RecordContract.ValueFormat.ENVELOPE, "status").decode(r);

    assertThat(d.version()).isEqualTo(4);
    assertThat(d.projectId()).isEqualTo("p");
    assertThat(new String(d.state(), StandardCharsets.UTF_8)).isEqualTo("null");
    assertThat(d.status()).isNull();
  }

  @Test
  void rawValuesAreTheStateWithMetadataFromHeaders() throws Exception {
    TopicRecord r = new TopicRecord(0, 0, 0, "s", utf8("{\"phase\":\"x\",\"status\":\"failed\"}"),
        Map.of(RecordContract.HEADER_VERSION, "2", RecordContract.HEADER_PROJECT_ID, "p",
            RecordContract.HEADER_UPDATED_AT, "2026-12-02T10:00:00Z"));

    Decoded d = new RecordDecoder(RecordContract.ValueFormat.RAW, "status").decode(r);

    assertThat(d.version()).isEqualTo(2);
    assertThat(d.status()).isEqualTo("failed");
    assertThat(d.updatedAt()).isEqualTo("2026-12-02T10:00:00Z");
  }

  @Test
  void rejectsRecordsWithoutVersionOrState() {
    RecordDecoder raw = new RecordDecoder(RecordContract.ValueFormat.RAW, "status");
    RecordDecoder env = new RecordDecoder(RecordContract.ValueFormat.ENVELOPE, "status");
    assertThatThrownBy(() -> raw.decode(new TopicRecord(0, 0, 0, "s", utf8("{}"), Map.of())))
        .isInstanceOf(InvalidRecordException.class).hasMessageContaining("version");
    assertThatThrownBy(() -> raw.decode(new TopicRecord(0, 0, 0, "s", utf8("{}"),
        Map.of(RecordContract.HEADER_VERSION, "x")))).hasMessageContaining("not a number");
    assertThatThrownBy(() -> env.decode(new TopicRecord(0, 0, 0, "s",
        utf8("{\"version\":1}"), Map.of()))).hasMessageContaining("no state");
    assertThatThrownBy(() -> env.decode(new TopicRecord(0, 0, 0, "s", utf8("[1]"), Map.of())))
        .hasMessageContaining("not a JSON object");
  }
}
