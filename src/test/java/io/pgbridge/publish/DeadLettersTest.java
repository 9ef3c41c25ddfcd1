package io.pgbridge.publish;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

/** Dead letters carry the record's own headers, and context headers only when enabled. */
class DeadLettersTest {

  private static final UUID SESSION = UUID.fromString("0b7e5a3c-1d2f-4e5a-9b8c-7d6e5f4a3b2c");
  private static final List<StateRecord.Header> RECORD_HEADERS = List.of(
      new StateRecord.Header(RecordBuilder.HEADER_VERSION, bytes("7")),
      new StateRecord.Header(RecordBuilder.HEADER_SOURCES, bytes("generation_sessions:UPDATE")));

  @Test
  void withoutContextHeadersALetterIsTheRecordAsItWouldHaveBeen() {
    DeadLetters letters = new DeadLetters("dlq", "generation-state", "eu", "eu-1a2b3c", false);

    ProducerRecord<byte[], byte[]> letter = letters.letter(SESSION, bytes("not json"),
        RECORD_HEADERS, DeadLetters.Stage.VALUE_CONVERTER, new InvalidStateException("bad",
            null), false);

    assertThat(letter.topic()).isEqualTo("dlq");
    assertThat(new String(letter.key(), StandardCharsets.UTF_8)).isEqualTo(SESSION.toString());
    assertThat(new String(letter.value(), StandardCharsets.UTF_8)).isEqualTo("not json");
    assertThat(headers(letter)).containsOnlyKeys(RecordBuilder.HEADER_VERSION,
        RecordBuilder.HEADER_SOURCES).containsEntry(RecordBuilder.HEADER_VERSION, "7");
  }

  @Test
  void contextHeadersSayWhereAndWhyItFailed() {
    DeadLetters letters = new DeadLetters("dlq", "generation-state", "eu", "eu-1a2b3c", true);
    Exception error = new RecordTooLargeException("over max.request.size");

    ProducerRecord<byte[], byte[]> letter = letters.letter(SESSION, new byte[12_345],
        RECORD_HEADERS, DeadLetters.Stage.KAFKA_PRODUCE, error, true);

    assertThat(letter.value()).as("too large: dropped").isNull();
    Map<String, String> h = headers(letter);
    assertThat(h).containsEntry(RecordBuilder.HEADER_VERSION, "7")
        .containsEntry(DeadLetters.HEADER_TOPIC, "generation-state")
        .containsEntry(DeadLetters.HEADER_BRIDGE_ID, "eu")
        .containsEntry(DeadLetters.HEADER_INSTANCE, "eu-1a2b3c")
        .containsEntry(DeadLetters.HEADER_STAGE, "KAFKA_PRODUCE")
        .containsEntry(DeadLetters.HEADER_CLASS_NAME,
            "org.apache.kafka.clients.producer.KafkaProducer")
        .containsEntry(DeadLetters.HEADER_EXCEPTION_CLASS, RecordTooLargeException.class.getName())
        .containsEntry(DeadLetters.HEADER_EXCEPTION_MESSAGE, "over max.request.size")
        .containsEntry(DeadLetters.HEADER_VALUE_SIZE, "12345");
    // Kafka's API exceptions carry no stack frames, only their text
    assertThat(h.get(DeadLetters.HEADER_EXCEPTION_STACKTRACE))
        .startsWith(RecordTooLargeException.class.getName() + ": over max.request.size");
    assertThat(h.keySet()).filteredOn(k -> k.startsWith(DeadLetters.CONTEXT_PREFIX))
        .hasSize(9);
  }

  private static Map<String, String> headers(ProducerRecord<byte[], byte[]> record) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Header h : record.headers()) {
      out.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
    }
    return out;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
