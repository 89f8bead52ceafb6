{{/*
Templates keep to a small subset of Helm's language (values, include, if/else, quote, default, toYaml, nindent,
trunc, sha256sum): test/deploy/helm-template.ts renders them in the tests without helm, and fails on anything else.
*/}}

{{- define "groundwork.fullname" -}}
{{ .Release.Name | trunc 52 }}-groundwork
{{- end }}

{{- define "groundwork.labels" -}}
app.kubernetes.io/name: groundwork
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: groundwork-{{ .Chart.Version }}
{{- end }}

{{- define "groundwork.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "groundwork.secretName" -}}
{{ .Values.database.existingSecret | default (include "groundwork.fullname" .) }}
{{- end }}
