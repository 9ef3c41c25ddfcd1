{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "pgbridge.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Fully qualified app name: release name, plus the chart name unless the release already contains it. */}}
{{- define "pgbridge.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "pgbridge.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Standard labels (https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/). */}}
{{- define "pgbridge.labels" -}}
helm.sh/chart: {{ include "pgbridge.chart" . }}
{{ include "pgbridge.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: pgbridge
{{- end -}}

{{/* Labels that select the bridge's pods; never change them on a running release. */}}
{{- define "pgbridge.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pgbridge.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "pgbridge.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "pgbridge.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "pgbridge.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* Path of the properties file inside the container. */}}
{{- define "pgbridge.configFile" -}}
/etc/pgbridge/pgbridge.properties
{{- end -}}

{{/*
The effective settings as a dict: .Values.config, bridge.id defaulted to the full name (so that
two releases on one database never compete for one leader lock), and the kafka.ssl.*.location
keys of the mounted TLS Secret.
*/}}
{{- define "pgbridge.effectiveConfig" -}}
{{- $cfg := deepCopy .Values.config -}}
{{- if not (hasKey $cfg "bridge.id") -}}
{{- $_ := set $cfg "bridge.id" (include "pgbridge.fullname" .) -}}
{{- end -}}
{{- /* from Secrets instead (the environment wins over the file anyway) */ -}}
{{- if .Values.database.urlSecret.name -}}
{{- $_ := unset $cfg "database.url" -}}
{{- else if not (get $cfg "database.url") -}}
{{- fail "config database.url is empty: set it, or name a Secret holding the JDBC URL in database.urlSecret" -}}
{{- end -}}
{{- if .Values.database.userSecret.name -}}
{{- $_ := unset $cfg "database.user" -}}
{{- end -}}
{{- with .Values.kafka.tls -}}
{{- if .secretName -}}
{{- range $k := list "kafka.ssl.truststore.location" "kafka.ssl.keystore.location" -}}
{{- if hasKey $cfg $k -}}
{{- fail (printf "config.%s is set by the chart from kafka.tls; remove it from config" $k) -}}
{{- end -}}
{{- end -}}
{{- $_ := set $cfg "kafka.ssl.truststore.location" (printf "%s/%s" .mountPath .truststore.key) -}}
{{- $_ := set $cfg "kafka.ssl.truststore.type" .truststore.type -}}
{{- if .keystore.key -}}
{{- $_ := set $cfg "kafka.ssl.keystore.location" (printf "%s/%s" .mountPath .keystore.key) -}}
{{- $_ := set $cfg "kafka.ssl.keystore.type" .keystore.type -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $cfg -}}
{{- end -}}

{{/*
One property value: lists joined with commas, whole numbers without exponent (YAML numbers
arrive as float64, and 1000000 would print as 1e+06), backslashes and newlines escaped for
java.util.Properties.
*/}}
{{- define "pgbridge.propertyValue" -}}
{{- $v := . -}}
{{- if kindIs "slice" $v -}}{{- $v = join "," $v -}}{{- end -}}
{{- if kindIs "float64" $v -}}
{{- if eq $v (float64 (int64 $v)) -}}{{- $v = int64 $v -}}{{- end -}}
{{- end -}}
{{- $v | toString | replace "\\" "\\\\" | replace "\n" "\\n" | replace "\r" "\\r" -}}
{{- end -}}

{{/* The pgbridge.properties file, keys sorted so that the checksum only moves on real changes. */}}
{{- define "pgbridge.properties" -}}
{{- $cfg := include "pgbridge.effectiveConfig" . | fromJson -}}
# Rendered by the pgbridge Helm chart from .Values.config; 'pgbridge config-docs' documents every key.
{{- range $k := keys $cfg | sortAlpha }}
{{- $v := get $cfg $k }}
{{- if not (kindIs "invalid" $v) }}
{{ $k }}={{ include "pgbridge.propertyValue" $v }}
{{- end }}
{{- end }}
{{ end -}}

{{/* http.port of the rendered configuration; probes and the Service need a fixed port. */}}
{{- define "pgbridge.httpPort" -}}
{{- $cfg := include "pgbridge.effectiveConfig" . | fromJson -}}
{{- $port := 8080 -}}
{{- if and (hasKey $cfg "http.port") (not (kindIs "invalid" (get $cfg "http.port"))) -}}
{{- $port = int (get $cfg "http.port") -}}
{{- end -}}
{{- if or (lt $port 1) (gt $port 65535) -}}
{{- fail (printf "config http.port must be a fixed port 1-65535 in Kubernetes (probes and metrics use it), got %v" (get $cfg "http.port")) -}}
{{- end -}}
{{- $port -}}
{{- end -}}

{{/* bridge.id, the value of the 'bridge' tag on every metric. */}}
{{- define "pgbridge.bridgeId" -}}
{{- $cfg := include "pgbridge.effectiveConfig" . | fromJson -}}
{{- default "pgbridge" (get $cfg "bridge.id") -}}
{{- end -}}

{{/* Fails unless the kubelet waits longer than the bridge's own shutdown, plus 5 s for the JVM. */}}
{{- define "pgbridge.checkGracePeriod" -}}
{{- $cfg := include "pgbridge.effectiveConfig" . | fromJson -}}
{{- $shutdownMs := 30000 -}}
{{- if not (kindIs "invalid" (get $cfg "shutdown.timeout.ms")) -}}
{{- if hasKey $cfg "shutdown.timeout.ms" -}}{{- $shutdownMs = int64 (get $cfg "shutdown.timeout.ms") -}}{{- end -}}
{{- end -}}
{{- if lt (mul (int64 .Values.terminationGracePeriodSeconds) 1000) (add $shutdownMs 5000) -}}
{{- fail (printf "terminationGracePeriodSeconds (%v) must exceed shutdown.timeout.ms (%v ms) by at least 5 s" .Values.terminationGracePeriodSeconds $shutdownMs) -}}
{{- end -}}
{{- end -}}

{{/*
Fails unless the database password comes from a Secret or the operator said there is none, and
when one kafka.* setting would come from two places.
*/}}
{{- define "pgbridge.checkSecrets" -}}
{{- /* Kafka's PASSWORD-typed producer and admin client settings (ConfigDef), and ours */ -}}
{{- $kafkaSecrets := list "sasl.jaas.config" "sasl.oauthbearer.assertion.private.key.passphrase" "sasl.oauthbearer.client.credentials.client.secret" "ssl.key.password" "ssl.keystore.certificate.chain" "ssl.keystore.key" "ssl.keystore.password" "ssl.truststore.certificates" "ssl.truststore.password" -}}
{{- if and (hasKey .Values.config "database.password") (not (kindIs "invalid" (get .Values.config "database.password"))) -}}
{{- fail "config database.password is a secret and would be written into the ConfigMap: put it in a Secret and name it in database.passwordSecret" -}}
{{- end -}}
{{- range $k := $kafkaSecrets -}}
{{- $key := printf "kafka.%s" $k -}}
{{- if and (hasKey $.Values.config $key) (not (kindIs "invalid" (get $.Values.config $key))) -}}
{{- fail (printf "config kafka.%s is a secret and would be written into the ConfigMap: put it in a Secret and name it in kafka.secretSettings (key %q)%s" $k $k (ternary " or kafka.sasl.jaasConfigSecret" (ternary " or kafka.tls" "" (hasSuffix "password" $k)) (eq $k "sasl.jaas.config"))) -}}
{{- end -}}
{{- end -}}
{{- $db := .Values.database -}}
{{- if and (not $db.passwordSecret.name) (not $db.passwordless) -}}
{{- fail "database.passwordSecret.name is empty: name an existing Secret holding the database password (its key in database.passwordSecret.key, default \"password\"), or set database.passwordless=true for trust or certificate authentication" -}}
{{- end -}}
{{- if and $db.passwordSecret.name $db.passwordless -}}
{{- fail "database.passwordless=true and database.passwordSecret.name are both set: choose one" -}}
{{- end -}}
{{- $taken := dict -}}
{{- if .Values.kafka.sasl.jaasConfigSecret.name -}}{{- $_ := set $taken "sasl.jaas.config" "kafka.sasl.jaasConfigSecret" -}}{{- end -}}
{{- with .Values.kafka.tls -}}
{{- if .secretName -}}
{{- if .truststore.passwordKey -}}{{- $_ := set $taken "ssl.truststore.password" "kafka.tls.truststore.passwordKey" -}}{{- end -}}
{{- if and .keystore.key .keystore.passwordKey -}}{{- $_ := set $taken "ssl.keystore.password" "kafka.tls.keystore.passwordKey" -}}{{- end -}}
{{- if and .keystore.key .keystore.keyPasswordKey -}}{{- $_ := set $taken "ssl.key.password" "kafka.tls.keystore.keyPasswordKey" -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- range $setting, $ref := .Values.kafka.secretSettings -}}
{{- if hasKey $taken $setting -}}
{{- fail (printf "kafka.secretSettings.%s is also set by %s: set it once" $setting (get $taken $setting)) -}}
{{- end -}}
{{- if hasKey $.Values.config (printf "kafka.%s" $setting) -}}
{{- fail (printf "kafka.%s is set both in config and in kafka.secretSettings: keep the Secret" $setting) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Environment shared by the bridge and the hook pods: JVM options and secrets. */}}
{{- define "pgbridge.env" -}}
{{- with .Values.javaToolOptions }}
- name: JAVA_TOOL_OPTIONS
  value: {{ . | quote }}
{{- end }}
{{- with .Values.database.urlSecret }}
{{- if .name }}
- name: PGBRIDGE_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .key }}
{{- end }}
{{- end }}
{{- with .Values.database.userSecret }}
{{- if .name }}
- name: PGBRIDGE_DATABASE_USER
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .key }}
{{- end }}
{{- end }}
{{- with .Values.database.passwordSecret }}
{{- if .name }}
- name: PGBRIDGE_DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .key }}
{{- end }}
{{- end }}
{{- with .Values.kafka.sasl.jaasConfigSecret }}
{{- if .name }}
- name: PGBRIDGE_KAFKA_SASL_JAAS_CONFIG
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .key }}
{{- end }}
{{- end }}
{{- with .Values.kafka.tls }}
{{- if .secretName }}
{{- if .truststore.passwordKey }}
- name: PGBRIDGE_KAFKA_SSL_TRUSTSTORE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .truststore.passwordKey }}
{{- end }}
{{- if and .keystore.key .keystore.passwordKey }}
- name: PGBRIDGE_KAFKA_SSL_KEYSTORE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .keystore.passwordKey }}
{{- end }}
{{- if and .keystore.key .keystore.keyPasswordKey }}
- name: PGBRIDGE_KAFKA_SSL_KEY_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .keystore.keyPasswordKey }}
{{- end }}
{{- end }}
{{- end }}
{{- range $setting := keys .Values.kafka.secretSettings | sortAlpha }}
{{- $ref := get $.Values.kafka.secretSettings $setting }}
- name: {{ printf "PGBRIDGE_KAFKA_%s" ($setting | upper | replace "." "_") }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.name }}
      key: {{ $ref.key }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Mounts shared by every pgbridge container: bridge, migration Job, helm test Pod. */}}
{{- define "pgbridge.volumeMounts" -}}
- name: config
  mountPath: /etc/pgbridge/pgbridge.properties
  subPath: pgbridge.properties
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- if .Values.kafka.tls.secretName }}
- name: kafka-tls
  mountPath: {{ .Values.kafka.tls.mountPath }}
  readOnly: true
{{- end }}
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Their volumes; .configMap names the ConfigMap with pgbridge.properties. */}}
{{- define "pgbridge.volumes" -}}
- name: config
  configMap:
    name: {{ .configMap }}
- name: tmp
  emptyDir:
    sizeLimit: {{ .root.Values.tmpSizeLimit }}
{{- if .root.Values.kafka.tls.secretName }}
- name: kafka-tls
  secret:
    secretName: {{ .root.Values.kafka.tls.secretName }}
    defaultMode: 0440
{{- end }}
{{- with .root.Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end -}}
