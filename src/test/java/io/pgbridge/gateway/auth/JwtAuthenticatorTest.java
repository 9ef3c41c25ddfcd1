package io.pgbridge.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Token checks with an injected clock, and the key file's formats and reload on change. */
class JwtAuthenticatorTest {

  private static final long NOW = Instant.parse("2026-12-02T10:00:00Z").toEpochMilli();

  @TempDir
  Path dir;

  private final AtomicLong clock = new AtomicLong(NOW);

  private static String sign(RSAKey key, JWTClaimsSet claims) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256)
        .keyID(key.getKeyID()).build(), claims);
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }

  private static JWTClaimsSet.Builder claims(Object projects, long expiresMs) {
    return new JWTClaimsSet.Builder().subject("u1").issuer("idp").audience("gateway")
        .claim("projects", projects).expirationTime(new Date(expiresMs));
  }

  private static String pem(RSAKey key) throws Exception {
    return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(
        key.toRSAPublicKey().getEncoded()) + "\n-----END PUBLIC KEY-----\n";
  }

  private JwtAuthenticator authenticator(Path keys) throws Exception {
    return new JwtAuthenticator(new KeyFile(keys, 1_000, clock::get), "idp", "gateway",
        "projects", 30_000, clock::get);
  }

  private static AuthRequest bearer(String token) {
    return new AuthRequest(token, Map.of(), "127.0.0.1");
  }

  @Test
  void aValidTokenGivesItsProjectsAndExpiry() throws Exception {
    RSAKey key = new RSAKeyGenerator(2048).keyID("k1").generate();
    Path file = Files.writeString(dir.resolve("key.pem"), pem(key));

    Principal p = authenticator(file).authenticate(bearer(sign(key,
        claims(List.of("p1", "p2"), NOW + 60_000).build())));

    assertThat(p.projects()).containsExactlyInAnyOrder("p1", "p2");
    assertThat(p.mayWatch("p1")).isTrue();
    assertThat(p.mayWatch("p3")).isFalse();
    assertThat(p.expiresAt()).isEqualTo(Instant.ofEpochMilli(NOW + 60_000));
    assertThat(authenticator(file).authenticate(bearer(sign(key,
        claims("*", NOW + 60_000).build()))).mayWatch("anything")).isTrue();
  }

  @Test
  void expiredWrongAudienceWrongIssuerNoProjectsAndNoTokenAreRefused() throws Exception {
    RSAKey key = new RSAKeyGenerator(2048).generate();
    JwtAuthenticator auth = authenticator(Files.writeString(dir.resolve("k.pem"), pem(key)));

    assertThatThrownBy(() -> auth.authenticate(bearer(null)))
        .hasMessageContaining("bearer token is required");
    assertThatThrownBy(() -> auth.authenticate(bearer(sign(key,
        claims("p", NOW - 31_000).build())))).hasMessageContaining("refused");
    // within the clock skew
    assertThat(auth.authenticate(bearer(sign(key, claims("p", NOW - 29_000).build())))
        .projects()).containsExactly("p");
    assertThatThrownBy(() -> auth.authenticate(bearer(sign(key,
        claims("p", NOW + 60_000).audience("other").build())))).hasMessageContaining("refused");
    assertThatThrownBy(() -> auth.authenticate(bearer(sign(key,
        claims("p", NOW + 60_000).issuer("other").build())))).hasMessageContaining("refused");
    assertThatThrownBy(() -> auth.authenticate(bearer(sign(key,
        claims(List.of(), NOW + 60_000).build())))).hasMessageContaining("allows no project");
    assertThatThrownBy(() -> auth.authenticate(bearer(sign(key,
        new JWTClaimsSet.Builder().issuer("idp").audience("gateway").claim("projects", "p")
            .build())))).as("exp is required").hasMessageContaining("refused");
    assertThatThrownBy(() -> auth.authenticate(bearer("garbage")))
        .hasMessageContaining("not a JWT");
  }

  @Test
  void aRotatedKeyFileIsReadAgainWithoutARestart() throws Exception {
    RSAKey oldKey = new RSAKeyGenerator(2048).keyID("old").generate();
    RSAKey newKey = new RSAKeyGenerator(2048).keyID("new").generate();
    Path file = Files.writeString(dir.resolve("jwks.json"),
        new JWKSet(oldKey.toPublicJWK()).toString());
    JwtAuthenticator auth = authenticator(file);
    String oldToken = sign(oldKey, claims("p", NOW + 600_000).build());
    String newToken = sign(newKey, claims("p", NOW + 600_000).build());
    assertThat(auth.authenticate(bearer(oldToken)).projects()).containsExactly("p");
    assertThatThrownBy(() -> auth.authenticate(bearer(newToken)))
        .isInstanceOf(AuthenticationException.class);

    Files.writeString(file, new JWKSet(List.of(newKey.toPublicJWK())).toString());
    Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 5_000));
    clock.addAndGet(999);
    assertThatThrownBy(() -> auth.authenticate(bearer(newToken)))
        .as("not checked again before the reload interval").isInstanceOf(
            AuthenticationException.class);
    clock.addAndGet(2);
    assertThat(auth.authenticate(bearer(newToken)).projects()).containsExactly("p");
    assertThatThrownBy(() -> auth.authenticate(bearer(oldToken)))
        .isInstanceOf(AuthenticationException.class);
  }

  @Test
  void aBrokenKeyFileKeepsTheLastGoodKeys() throws Exception {
    RSAKey key = new RSAKeyGenerator(2048).generate();
    Path file = Files.writeString(dir.resolve("k.pem"), pem(key));
    JwtAuthenticator auth = authenticator(file);
    String token = sign(key, claims("p", NOW + 600_000).build());

    Files.writeString(file, "not a key at all, and longer than before");
    clock.addAndGet(5_000);

    assertThat(auth.authenticate(bearer(token)).projects()).containsExactly("p");
  }

  @Test
  void ecKeysAsPemAndSingleJwksParse() throws Exception {
    ECKey ec = new ECKeyGenerator(Curve.P_256).keyID("e1").generate();
    String ecPem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(
        ec.toECPublicKey().getEncoded()) + "\n-----END PUBLIC KEY-----\n";
    Path file = Files.writeString(dir.resolve("ec.pem"), ecPem);
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.ES256),
        claims("p", NOW + 60_000).build());
    jwt.sign(new ECDSASigner(ec));

    assertThat(authenticator(file).authenticate(bearer(jwt.serialize())).projects())
        .containsExactly("p");
    assertThat(KeyFile.parse(ec.toPublicJWK().toJSONString()).getKeys()).hasSize(1);
    assertThat(KeyFile.parse(ec.toJSONString()).getKeys().get(0).isPrivate())
        .as("a private JWK is reduced to its public part").isFalse();
    assertThatThrownBy(() -> KeyFile.parse("hello")).hasMessageContaining("no PEM public key");
  }
}
