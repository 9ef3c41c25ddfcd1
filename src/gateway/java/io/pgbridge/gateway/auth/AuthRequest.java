package io.pgbridge.gateway.auth;

import java.util.List;
import java.util.Map;

/**
 * What an {@link Authenticator} may look at: the bearer token (from the {@code Authorization}
 * header or the {@code access_token} query parameter), every request header, and the peer.
 *
 * @param bearerToken null when the request carried none
 * @param headers header names in lower case
 */
public record AuthRequest(String bearerToken, Map<String, List<String>> headers,
    String remoteAddress) {}
