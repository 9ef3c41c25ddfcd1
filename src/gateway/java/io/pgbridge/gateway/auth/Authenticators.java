package io.pgbridge.gateway.auth;

import io.pgbridge.gateway.GatewayConfig;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Path;
import java.time.Clock;

/** Builds the {@link Authenticator} that {@code auth.mode} names. Called once at start. */
public final class Authenticators {

  private Authenticators() {}

  /** Throws {@link IllegalArgumentException} with a message for the operator if it cannot. */
  public static Authenticator create(GatewayConfig config, Clock clock) {
    switch (config.authMode()) {
      case "none":
        return new OpenAccess();
      case "custom":
        try {
          Class<?> type = Class.forName(config.customAuthenticatorClass());
          return (Authenticator) type.getConstructor(GatewayConfig.class).newInstance(config);
        } catch (ClassNotFoundException | NoSuchMethodException | ClassCastException e) {
          throw new IllegalArgumentException("auth.custom.class: " + e.getMessage()
              + " (an Authenticator with a public constructor taking GatewayConfig)", e);
        } catch (InstantiationException | IllegalAccessException
            | InvocationTargetException e) {
          throw new IllegalArgumentException("auth.custom.class could not be created: "
              + (e.getCause() == null ? e : e.getCause()), e);
        }
      default:
        try {
          KeyFile keys = new KeyFile(Path.of(config.jwtKeyFile()), config.jwtKeyReloadMs(),
              clock::millis);
          return new JwtAuthenticator(keys, config.jwtIssuer(), config.jwtAudience(),
              config.jwtProjectsClaim(), config.jwtClockSkewMs(), clock::millis);
        } catch (IOException e) {
          throw new IllegalArgumentException("auth.jwt.key.file " + config.jwtKeyFile() + ": "
              + e.getMessage(), e);
        }
    }
  }
}
