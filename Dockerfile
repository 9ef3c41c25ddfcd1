# Runtime image of pgbridge. It packages an artifact built beforehand, so build in this order:
#   mvn -DskipTests package
#   docker build -t pgbridge/pgbridge:0.1.0 .
# Only target/pgbridge.jar, target/lib/ and sql/ enter the build context (.dockerignore);
# the demo, the embedded test infrastructure and the benchmarks are never in them.
# The gateway image, the Dockerfile's "gateway" target, from the same build:
#   docker build --target gateway -t pgbridge/pgbridge-gateway:0.1.0 .
# It holds target/pgbridge-gateway.jar with target/lib/ and target/gateway-lib/ (Jetty, the JWT
# library); the default target below, the bridge, holds neither.
FROM eclipse-temurin:17-jre AS gateway
LABEL org.opencontainers.image.title="pgbridge-gateway" \
      org.opencontainers.image.description="WebSocket and SSE gateway for pgbridge's state topic"
RUN groupadd --system --gid 10001 pgbridge \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /opt/pgbridge \
      --shell /usr/sbin/nologin pgbridge
WORKDIR /opt/pgbridge
COPY target/lib/ /opt/pgbridge/lib/
COPY target/gateway-lib/ /opt/pgbridge/gateway-lib/
COPY target/pgbridge-gateway.jar /opt/pgbridge/pgbridge-gateway.jar
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["java", "-jar", "/opt/pgbridge/pgbridge-gateway.jar"]
CMD ["run", "--config", "/etc/pgbridge-gateway/gateway.properties"]

# The bridge: the default target.
FROM eclipse-temurin:17-jre

LABEL org.opencontainers.image.title="pgbridge" \
      org.opencontainers.image.description="PostgreSQL LISTEN/NOTIFY to keyed, ordered, de-duplicated Kafka state records"

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
ENTRYPOINT ["java", "-jar", "/opt/pgbridge/pgbridge.jar"]
CMD ["run", "--config", "/etc/pgbridge/pgbridge.properties"]
