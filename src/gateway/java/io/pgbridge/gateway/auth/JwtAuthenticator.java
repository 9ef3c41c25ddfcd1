package io.pgbridge.gateway.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import java.security.Key;
import java.util.ArrayList;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.text.ParseException;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Bearer tokens as signed JWTs (RS/PS/ES 256-512), verified with the keys of a {@link KeyFile};
 * {@code exp} is required, {@code nbf} honoured, {@code iss} and {@code aud} checked when
 * configured, with a tolerated clock skew. The projects the client may watch are the values of
 * the projects claim (a list of strings or one string; {@code *} means every project). Time comes
 * from an injected clock. Thread-safe: Nimbus's processor is.
 */
public final class JwtAuthenticator implements Authenticator {

  private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256,
      JWSAlgorithm.RS384, JWSAlgorithm.RS512, JWSAlgorithm.PS256, JWSAlgorithm.PS384,
      JWSAlgorithm.PS512, JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512);

  private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
  private final String projectsClaim;

  public JwtAuthenticator(KeyFile keys, String issuer, String audience, String projectsClaim,
      long clockSkewMs, LongSupplier clockMs) {
    this.projectsClaim = projectsClaim;
    processor.setJWSKeySelector((header, context) -> candidates(header, keys.keys()));
    JWTClaimsSet exact = issuer == null || issuer.isEmpty() ? null
        : new JWTClaimsSet.Builder().issuer(issuer).build();
    DefaultJWTClaimsVerifier<SecurityContext> verifier = new DefaultJWTClaimsVerifier<>(
        audience == null || audience.isEmpty() ? null : audience, exact, Set.of("exp")) {
      @Override
      protected Date currentTime() {
        return new Date(clockMs.getAsLong());
      }
    };
    verifier.setMaxClockSkew((int) (clockSkewMs / 1000));
    processor.setJWTClaimsSetVerifier(verifier);
  }

  /**
   * The keys that may have signed a token with this header: of the algorithm's family (RSA
   * for RS/PS, EC on the right curve for ES); those with the header's {@code kid} if any has
   * it, otherwise those without a {@code kid} (keys read from PEM have none).
   */
  static List<Key> candidates(JWSHeader header, JWKSet set) throws KeySourceException {
    JWSAlgorithm alg = header.getAlgorithm();
    if (!ALGORITHMS.contains(alg)) {
      return List.of();
    }
    List<Key> byId = new ArrayList<>();
    List<Key> unnamed = new ArrayList<>();
    for (JWK jwk : set.getKeys()) {
      Key key;
      try {
        if (jwk instanceof RSAKey rsa && JWSAlgorithm.Family.RSA.contains(alg)) {
          key = rsa.toRSAPublicKey();
        } else if (jwk instanceof ECKey ec && JWSAlgorithm.Family.EC.contains(alg)
            && Curve.forJWSAlgorithm(alg).contains(ec.getCurve())) {
          key = ec.toECPublicKey();
        } else {
          continue;
        }
      } catch (JOSEException e) {
        throw new KeySourceException("unusable key in the key file: " + e.getMessage(), e);
      }
      if (header.getKeyID() != null && header.getKeyID().equals(jwk.getKeyID())) {
        byId.add(key);
      } else if (jwk.getKeyID() == null) {
        unnamed.add(key);
      }
    }
    return byId.isEmpty() ? unnamed : byId;
  }

  @Override
  public Principal authenticate(AuthRequest request) throws AuthenticationException {
    String token = request.bearerToken();
    if (token == null || token.isEmpty()) {
      throw new AuthenticationException("a bearer token is required (Authorization: Bearer"
          + " <jwt>, or the access_token query parameter)");
    }
    JWTClaimsSet claims;
    try {
      claims = processor.process(token, null);
    } catch (ParseException e) {
      throw new AuthenticationException("the bearer token is not a JWT");
    } catch (BadJOSEException e) {
      throw new AuthenticationException("the bearer token was refused: " + e.getMessage());
    } catch (JOSEException e) {
      throw new AuthenticationException("the bearer token cannot be verified", e);
    }
    Set<String> projects = new HashSet<>();
    Object claim = claims.getClaim(projectsClaim);
    if (claim instanceof String s) {
      projects.add(s);
    } else if (claim instanceof List<?> list) {
      for (Object o : list) {
        if (o instanceof String s) {
          projects.add(s);
        }
      }
    }
    boolean all = projects.remove("*");
    if (projects.isEmpty() && !all) {
      throw new AuthenticationException("the bearer token allows no project (claim '"
          + projectsClaim + "')");
    }
    String subject = claims.getSubject() == null ? "unknown" : claims.getSubject();
    return new Principal(subject, projects, all,
        claims.getExpirationTime() == null ? null : claims.getExpirationTime().toInstant());
  }
}
