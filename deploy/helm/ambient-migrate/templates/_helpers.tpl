{{- define "ambient-migrate.name" -}}ambient-migrate{{- end -}}

{{- define "ambient-migrate.labels" -}}
app.kubernetes.io/name: ambient-migrate
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "ambient-migrate.selectorLabels" -}}
app.kubernetes.io/name: ambient-migrate
app.kubernetes.io/component: controller
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
