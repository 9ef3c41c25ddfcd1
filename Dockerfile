# Runtime images of pgbridge. They package an artifact built beforehand, so build in this order:
#   mvn -DskipTests package
#   docker build --build-arg VERSION=0.1.0 --build-arg REVISION="$(git rev-parse HEAD)" \
#     -t pgbridge/pgbridge:0.1.0 .
# The gateway image, the Dockerfile's "gateway" target, from the same build:
#   docker build --target gateway --build-arg VERSION=0.1.0 -t pgbridge/pgbridge-gateway:0.1.0 .
# It holds target/pgbridge-gateway.jar with target/lib/ and target/gateway-lib/ (Jetty, the JWT
# library); the default target, the bridge, holds neither. Only those files and sql/ enter the
# build context (.dockerignore); the demo, the embedded test infrastructure and the benchmarks
# are never in them.
#
# The base image is pinned by version, so a rebuild gets the same JRE; move it deliberately
# (and pin its digest as well where a registry policy asks for that).
FROM eclipse-temurin:17.0.19_10-jre-noble AS gateway

ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=https://github.com/pgbridge/pgbridge
LABEL org.opencontainers.image.title="pgbridge-gateway" \
      org.opencontainers.image.description="WebSocket and SSE gateway for pgbridge's state topic" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.base.name="docker.io/library/eclipse-temurin:17.0.19_10-jre-noble"
RUN groupadd --system --gid 10001 pgbridge \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /opt/pgbridge \
      --shell /usr/sbin/nologin pgbridge
WORKDIR /opt/pgbridge
COPY target/lib/ /opt/pgbridge/lib/
COPY target/gateway-lib/ /opt/pgbridge/gateway-lib/
COPY target/pgbridge-gateway.jar /opt/pgbridge/pgbridge-gateway.jar
USER 10001:10001
EXPOSE 8080
# The same container JVM flags as the bridge's, below, and ZGC: the gateway's latency target is
# a p99 of tens of milliseconds with 10,000 sockets open, and G1's young pauses grow with the
# connections and sessions held (20-110 ms at 10,000 connections on a busy machine), where ZGC's
# stay under a millisecond (docs/benchmarks.md, Gateway). The collector is set in
# JAVA_TOOL_OPTIONS, not on the command line, so that a deployment can choose another by
# replacing the variable (the chart's gateway.javaToolOptions does); two collectors on one
# command line would stop the JVM.
ENV JAVA_TOOL_OPTIONS="-XX:+UseZGC"
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-jar", "/opt/pgbridge/pgbridge-gateway.jar"]
CMD ["run", "--config", "/etc/pgbridge-gateway/gateway.properties"]

# The bridge: the default target.
FROM eclipse-temurin:17.0.19_10-jre-noble

# OCI annotations: what is inside and where it was built from.
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=https://github.com/pgbridge/pgbridge
LABEL org.opencontainers.image.title="pgbridge" \
      org.opencontainers.image.description="PostgreSQL LISTEN/NOTIFY to keyed, ordered, de-duplicated Kafka state records" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.base.name="docker.io/library/eclipse-temurin:17.0.19_10-jre-noble"

# A fixed numeric uid, so that Kubernetes can check runAsNonRoot without reading /etc/passwd.
RUN groupadd --system --gid 10001 pgbridge \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /opt/pgbridge \
      --shell /usr/sbin/nologin pgbridge

WORKDIR /opt/pgbridge
# Libraries first: they change less often than the application jar, so their layer is reused.
COPY target/lib/ /opt/pgbridge/lib/
COPY target/pgbridge.jar /opt/pgbridge/pgbridge.jar
# Migrations applied by 'pgbridge migrate'.
COPY sql/ /opt/pgbridge/sql/

# Files stay owned by root: the process can read but not change them.
USER 10001:10001
EXPOSE 8080
# JVM flags for containers, in the image so that a plain 'docker run -m 1g' is sized right:
# the heap is 75% of the container's memory limit, and an OutOfMemoryError ends the process
# (the orchestrator restarts it) instead of leaving a half-working bridge. They are on the
# command line rather than in JAVA_TOOL_OPTIONS, which the JVM echoes to stderr at every
# start ("Picked up ..."), a non-JSON line with log.format=json. JAVA_TOOL_OPTIONS still adds
# flags; -Xmx there overrides the percentage.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-jar", "/opt/pgbridge/pgbridge.jar"]
CMD ["run", "--config", "/etc/pgbridge/pgbridge.properties"]
