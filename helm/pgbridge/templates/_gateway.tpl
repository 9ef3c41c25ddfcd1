{{/* The gateway's name: the release's full name plus -gateway. */}}
{{- define "pgbridge.gateway.fullname" -}}
{{- printf "%s-gateway" (include "pgbridge.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The gateway's own name label, so that the bridge's selectors never match its pods. */}}
{{- define "pgbridge.gateway.selectorLabels" -}}
app.kubernetes.io/name: {{ printf "%s-gateway" (include "pgbridge.name" .) | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: gateway
{{- end -}}

{{- define "pgbridge.gateway.labels" -}}
helm.sh/chart: {{ include "pgbridge.chart" . }}
{{ include "pgbridge.gateway.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: pgbridge
{{- end -}}

{{- define "pgbridge.gateway.image" -}}
{{- with .Values.gateway.image -}}
{{- if .digest -}}
{{- printf "%s@%s" .repository .digest -}}
{{- else -}}
{{- printf "%s:%s" .repository (default $.Chart.AppVersion .tag) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The gateway's settings, with the kafka.ssl.*.location keys of the mounted TLS Secret. */}}
{{- define "pgbridge.gateway.effectiveConfig" -}}
{{- $cfg := deepCopy .Values.gateway.config -}}
{{- with .Values.kafka.tls -}}
{{- if .secretName -}}
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

{{- define "pgbridge.gateway.properties" -}}
{{- $cfg := include "pgbridge.gateway.effectiveConfig" . | fromJson -}}
# Rendered by the pgbridge Helm chart from .Values.gateway.config; 'pgbridge gateway config-docs' documents every key.
{{- range $k := keys $cfg | sortAlpha }}
{{- $v := get $cfg $k }}
{{- if not (kindIs "invalid" $v) }}
{{ $k }}={{ include "pgbridge.propertyValue" $v }}
{{- end }}
{{- end }}
{{ end -}}

{{- define "pgbridge.gateway.httpPort" -}}
{{- $cfg := .Values.gateway.config -}}
{{- $port := 8080 -}}
{{- if and (hasKey $cfg "http.port") (not (kindIs "invalid" (get $cfg "http.port"))) -}}
{{- $port = int (get $cfg "http.port") -}}
{{- end -}}
{{- if or (lt $port 1) (gt $port 65535) -}}
{{- fail (printf "gateway.config http.port must be a fixed port 1-65535 in Kubernetes, got %v" (get $cfg "http.port")) -}}
{{- end -}}
{{- $port -}}
{{- end -}}

{{/* Secrets of the Kafka connection, under the gateway's variable prefix. */}}
{{- define "pgbridge.gateway.env" -}}
{{- with .Values.gateway.javaToolOptions }}
{{- $collectors := 0 }}
{{- range (splitList " " .) }}
{{- if regexMatch "^-XX:\\+Use[A-Za-z0-9]+GC$" . }}
{{- $collectors = add1 $collectors }}
{{- end }}
{{- end }}
{{- if gt $collectors 1 }}
{{- fail (printf "gateway.javaToolOptions names more than one garbage collector (%s): the JVM would not start; name one, e.g. replace -XX:+UseZGC" .) }}
{{- end }}
- name: JAVA_TOOL_OPTIONS
  value: {{ . | quote }}
{{- end }}
{{- with .Values.kafka.sasl.jaasConfigSecret }}
{{- if .name }}
- name: PGBRIDGE_GATEWAY_KAFKA_SASL_JAAS_CONFIG
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .key }}
{{- end }}
{{- end }}
{{- with .Values.kafka.tls }}
{{- if and .secretName .truststore.passwordKey }}
- name: PGBRIDGE_GATEWAY_KAFKA_SSL_TRUSTSTORE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .truststore.passwordKey }}
{{- end }}
{{- if and .secretName .keystore.key .keystore.passwordKey }}
- name: PGBRIDGE_GATEWAY_KAFKA_SSL_KEYSTORE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .keystore.passwordKey }}
{{- end }}
{{- if and .secretName .keystore.key .keystore.keyPasswordKey }}
- name: PGBRIDGE_GATEWAY_KAFKA_SSL_KEY_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .keystore.keyPasswordKey }}
{{- end }}
{{- end }}
{{- with .Values.gateway.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}
