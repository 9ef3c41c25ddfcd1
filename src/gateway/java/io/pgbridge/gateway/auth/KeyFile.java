package io.pgbridge.gateway.auth;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The token verification keys, read from a file that holds PEM public keys (RSA or EC), one JWK
 * or a JWK set, and read again when the file changes (its modification time or size), checked
 * at most every {@code reloadMs}. A file that becomes unreadable or invalid keeps the last good
 * keys (logged once per change). Thread-safe; {@link #keys()} is called per authentication.
 */
public final class KeyFile {

  private static final Logger log = LoggerFactory.getLogger(KeyFile.class);
  private static final Pattern PEM = Pattern.compile(
      "-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\\s]+)-----END PUBLIC KEY-----");

  private final Path path;
  private final long reloadMs;
  private final LongSupplier clockMs;
  private final ReentrantLock lock = new ReentrantLock();
  private volatile JWKSet keys;
  private volatile long nextCheck;
  private FileTime loadedTime;
  private long loadedSize;

  /** Reads the file now; throws if it holds no usable key. */
  public KeyFile(Path path, long reloadMs, LongSupplier clockMs) throws IOException {
    this.path = path;
    this.reloadMs = reloadMs;
    this.clockMs = clockMs;
    this.loadedTime = Files.getLastModifiedTime(path);
    this.loadedSize = Files.size(path);
    this.keys = parse(Files.readString(path, StandardCharsets.UTF_8));
    this.nextCheck = clockMs.getAsLong() + reloadMs;
  }

  public JWKSet keys() {
    long now = clockMs.getAsLong();
    if (now >= nextCheck && lock.tryLock()) {
      try {
        nextCheck = now + reloadMs;
        reloadIfChanged();
      } finally {
        lock.unlock();
      }
    }
    return keys;
  }

  private void reloadIfChanged() {
    try {
      FileTime t = Files.getLastModifiedTime(path);
      long size = Files.size(path);
      if (Objects.equals(t, loadedTime) && size == loadedSize) {
        return;
      }
      loadedTime = t;
      loadedSize = size;
      keys = parse(Files.readString(path, StandardCharsets.UTF_8));
      log.info("Reloaded token verification keys from {} ({} keys)", path, keys.size());
    } catch (IOException e) {
      log.warn("Cannot reload the token verification keys from {}: {}; keeping the previous"
          + " ones", path, e.getMessage());
    }
  }

  /** Parses PEM public keys, a JWK or a JWK set; throws {@link IOException} if none is usable. */
  public static JWKSet parse(String text) throws IOException {
    String trimmed = text.trim();
    try {
      if (trimmed.startsWith("{")) {
        if (trimmed.contains("\"keys\"")) {
          JWKSet set = JWKSet.parse(trimmed).toPublicJWKSet();
          if (set.isEmpty()) {
            throw new IOException("the JWK set has no public keys");
          }
          return set;
        }
        JWK jwk = JWK.parse(trimmed);
        return new JWKSet(jwk.isPrivate() && jwk.toPublicJWK() != null ? jwk.toPublicJWK() : jwk);
      }
    } catch (ParseException e) {
      throw new IOException("not a JWK or JWK set: " + e.getMessage(), e);
    }
    List<JWK> out = new ArrayList<>();
    Matcher m = PEM.matcher(text);
    while (m.find()) {
      byte[] der = Base64.getMimeDecoder().decode(m.group(1));
      out.add(toJwk(publicKey(der)));
    }
    if (out.isEmpty()) {
      throw new IOException("no PEM public key (-----BEGIN PUBLIC KEY-----), JWK or JWK set");
    }
    return new JWKSet(out);
  }

  private static PublicKey publicKey(byte[] der) throws IOException {
    for (String algorithm : List.of("RSA", "EC")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
      } catch (java.security.GeneralSecurityException e) {
        // try the next algorithm
      }
    }
    throw new IOException("a PEM public key that is neither RSA nor EC");
  }

  private static JWK toJwk(PublicKey key) throws IOException {
    if (key instanceof RSAPublicKey rsa) {
      return new RSAKey.Builder(rsa).build();
    }
    ECPublicKey ec = (ECPublicKey) key;
    Curve curve = Curve.forECParameterSpec(ec.getParams());
    if (curve == null) {
      throw new IOException("an EC public key on a curve JWT does not use");
    }
    return new ECKey.Builder(curve, ec).build();
  }
}
