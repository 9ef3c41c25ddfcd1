package io.pgbridge.source;

import java.sql.SQLException;

/**
 * The table walks that complete a connection's stream, as the {@link SourceRunner} drives them:
 * the recovery a {@link ChangeSource#begin} asked for and, after a takeover in HA, the settle
 * pass. {@code io.pgbridge.recover.RecoveryPlan} in production; an interface so that this
 * package does not depend on how the passes read the tables. Called on the runner thread only.
 */
public interface RecoveryPasses {

  /**
   * Before the stream starts on a new connection: with no checkpoint stored, registers this
   * bridge ({@code catchup.initial=all}) or stores the current snapshot as the first
   * checkpoint ({@code none}).
   */
  void prepare() throws SQLException;

  /**
   * The stream has begun and needs {@code recovery}: starts its pass, and when {@code settle}
   * (this connection just took the lease in HA) arms a settle pass unless one is pending from
   * an earlier connection. A pass of an earlier connection is dropped.
   */
  void start(Recovery recovery, boolean settle) throws SQLException;

  /** True while a pass has pages left: the runner then polls the stream briefly. */
  boolean walking();

  /** Marks the next page of the pass under way; the runner calls it within its backlog bound. */
  void step() throws SQLException;

  /**
   * Every loop iteration: starts the settle pass once it is due and the recovery has been
   * walked, and releases its retained snapshot once all it marked is acknowledged.
   */
  void advance() throws SQLException;

  /** True once the current connection's recovery pass has marked everything it owes. */
  boolean recoveryWalked();

  /** True from arming a settle pass until all it marked is acknowledged. */
  boolean settlePending();
}
