package io.pgbridge.config;

import java.util.Locale;
import java.util.regex.Pattern;

/** Recognises settings and text that must never be printed. */
public final class Secrets {

  private static final Pattern SECRET_KEY =
      Pattern.compile(".*(password|secret|sasl\\.jaas\\.config|credentials?|token|\\.key$).*");
  private static final Pattern URL_PASSWORD =
      Pattern.compile("(?i)(password=)[^&;\\s]*");
  private static final Pattern URL_USERINFO = Pattern.compile("(//[^/@:\\s]+:)[^/@\\s]*@");

  private Secrets() {}

  /** True for keys whose values are secrets (passwords, JAAS configs, key material). */
  public static boolean looksSecret(String key) {
    return SECRET_KEY.matcher(key.toLowerCase(Locale.ROOT)).matches();
  }

  /** A JDBC or other URL with any password it carries replaced by {@code [hidden]}. */
  public static String maskUrl(String url) {
    if (url == null) {
      return null;
    }
    String masked = URL_PASSWORD.matcher(url).replaceAll("$1[hidden]");
    return URL_USERINFO.matcher(masked).replaceAll("$1[hidden]@");
  }
}
