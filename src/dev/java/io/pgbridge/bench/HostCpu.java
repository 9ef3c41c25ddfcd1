package io.pgbridge.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How busy the machine was during a run, and how much of that was not the benchmark: the
 * busy CPU time of the whole host ({@code /proc/stat}) minus this JVM's and, when the
 * PostgreSQL server runs here and its postmaster's pid is known, the server's (postmaster with
 * its reaped children, plus its live children). The load average cannot tell this: 64 writer
 * threads and their backends raise it by themselves. Linux only; elsewhere every figure is
 * unknown. Used from one thread.
 */
final class HostCpu {

  private static final double TICKS_PER_SECOND = 100; // USER_HZ on Linux

  /** One reading: host busy, own (JVM + server) ticks, at a time. */
  record Sample(long hostBusy, long own, long nanos) {}

  private final long serverPid;

  /** {@code serverPid} {@code <= 0}: the server is elsewhere (its CPU counts as others'). */
  HostCpu(long serverPid) {
    this.serverPid = serverPid;
  }

  Sample sample() {
    return new Sample(hostBusy(), ticks(Path.of("/proc/self/stat"), false) + serverTicks(),
        System.nanoTime());
  }

  /** Cores used by everything but this benchmark between two samples; -1 when unknown. */
  static double othersCores(Sample from, Sample to) {
    if (from.hostBusy() < 0 || to.hostBusy() < 0 || from.own() < 0 || to.own() < 0) {
      return -1;
    }
    double seconds = (to.nanos() - from.nanos()) / 1e9;
    long others = (to.hostBusy() - from.hostBusy()) - (to.own() - from.own());
    return Math.max(0, others / TICKS_PER_SECOND / seconds);
  }

  /** Cores used by the whole host between two samples; -1 when unknown. */
  static double hostCores(Sample from, Sample to) {
    if (from.hostBusy() < 0 || to.hostBusy() < 0) {
      return -1;
    }
    return (to.hostBusy() - from.hostBusy()) / TICKS_PER_SECOND
        / ((to.nanos() - from.nanos()) / 1e9);
  }

  private long serverTicks() {
    if (serverPid <= 0) {
      return 0;
    }
    long total = ticks(Path.of("/proc/" + serverPid + "/stat"), true);
    if (total < 0) {
      return -1;
    }
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path p : procs) {
        String[] f = fields(p.resolve("stat"));
        // f[1] is the parent pid; a backend that ended meanwhile is in the postmaster's cutime
        if (f != null && Long.parseLong(f[1]) == serverPid) {
          total += Long.parseLong(f[11]) + Long.parseLong(f[12]);
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return total;
  }

  /** utime + stime (+ cutime + cstime of reaped children), in ticks; -1 when unreadable. */
  private static long ticks(Path stat, boolean withChildren) {
    String[] f = fields(stat);
    if (f == null) {
      return -1;
    }
    long t = Long.parseLong(f[11]) + Long.parseLong(f[12]);
    return withChildren ? t + Long.parseLong(f[13]) + Long.parseLong(f[14]) : t;
  }

  /** The fields after the command name (state first), or null if the process is gone. */
  private static String[] fields(Path stat) {
    try {
      String s = Files.readString(stat);
      return s.substring(s.lastIndexOf(')') + 2).split(" ");
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static long hostBusy() {
    try {
      String cpu = Files.readAllLines(Path.of("/proc/stat")).get(0);
      String[] f = cpu.trim().split("\\s+");
      // cpu user nice system idle iowait irq softirq steal ...
      long busy = 0;
      for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
        busy += Long.parseLong(f[i]);
      }
      return busy;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
