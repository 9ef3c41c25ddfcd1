package io.pgbridge.consumer;

import java.nio.charset.StandardCharsets;

/**
 * The current state of one session as materialised from the topic: the record contract's
 * metadata, the state JSON as bytes (shared, never copied per reader: do not modify), and where
 * its record is. Immutable.
 *
 * @param sessionId the record key
 * @param projectId from the header (or the envelope); null if the record carried none
 * @param version {@code state_version}
 * @param updatedAt the row's {@code updated_at} as the bridge wrote it (ISO-8601), or null
 * @param state the state JSON ({@code raw_state}); {@code null} JSON when the row had none
 * @param status the state's status field when it is a string (for the retention policy), or null
 * @param partition partition of the record
 * @param offset offset of the record: orders every record of one key, across tombstones and
 *     across gateway replicas (they all read the same topic)
 * @param timestampMs the record's timestamp
 * @param seq this view's apply sequence number: increases with every change the view makes
 * @param versionsRestarted true when this incarnation of the session started at a version not
 *     above the one before its tombstone, so versions of this key are not comparable across it
 */
public record SessionState(String sessionId, String projectId, long version, String updatedAt,
    byte[] state, String status, int partition, long offset, long timestampMs, long seq,
    boolean versionsRestarted) {

  public String stateText() {
    return new String(state, StandardCharsets.UTF_8);
  }

  /** Approximate heap used by this state (object headers, strings and the state bytes). */
  public long approximateBytes() {
    return 96L + state.length + 2L * (sessionId.length() + (projectId == null ? 0
        : projectId.length()) + (updatedAt == null ? 0 : updatedAt.length()));
  }
}
