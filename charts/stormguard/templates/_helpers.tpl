{{/* The chart's name, overridable. */}}
{{- define "stormguard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Name of the release's objects: the release name, unless it already contains the chart's name. */}}
{{- define "stormguard.fullname" -}}
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

{{/* Labels that select the pod; they never change after install (a Deployment's selector cannot). */}}
{{- define "stormguard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "stormguard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "stormguard.labels" -}}
{{ include "stormguard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: stormguard
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{/* The image: the published one, tagged with the chart's appVersion unless image.tag says otherwise. */}}
{{- define "stormguard.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The Secret whose keys become environment variables, or "" when there is none. */}}
{{- define "stormguard.secretName" -}}
{{- if .Values.secret.existingSecret -}}
{{- .Values.secret.existingSecret -}}
{{- else if .Values.secret.create -}}
{{- include "stormguard.fullname" . -}}
{{- end -}}
{{- end -}}

{{/* The HTTP port of /healthz, /readyz and /metrics, from the configuration (stormguard's default 9464). */}}
{{- define "stormguard.httpPort" -}}
{{- $http := .Values.config.http | default dict -}}
{{- $port := hasKey $http "port" | ternary $http.port 9464 | int -}}
{{- if eq $port 0 -}}
{{- fail "config.http.port: 0 turns off /healthz, /readyz and /metrics, which the chart's probes need" -}}
{{- end -}}
{{- $port -}}
{{- end -}}

{{/*
What each watched namespace needs, from config.targets, as JSON: {"<namespace>": {"podsTarget": bool,
"workloads": ["deployments", ...]}}. The one place the chart derives RBAC from the targets.
*/}}
{{- define "stormguard.watchedNamespaces" -}}
{{- $resources := dict "Deployment" "deployments" "StatefulSet" "statefulsets" "DaemonSet" "daemonsets" -}}
{{- $namespaces := dict -}}
{{- range .Values.config.targets -}}
{{- $ns := get $namespaces .namespace | default (dict "podsTarget" false "workloads" (list)) -}}
{{- if eq .workload.kind "Pods" -}}
{{- $_ := set $ns "podsTarget" true -}}
{{- else -}}
{{- $_ := set $ns "workloads" (append $ns.workloads (get $resources .workload.kind) | uniq | sortAlpha) -}}
{{- end -}}
{{- $_ := set $namespaces .namespace $ns -}}
{{- end -}}
{{- toJson $namespaces -}}
{{- end -}}

{{/*
The workload resources the configured targets use in any namespace, sorted, as a JSON list — derived
from stormguard.watchedNamespaces: what the cluster-wide watch ClusterRole (rbac.watchClusterWide) reads.
*/}}
{{- define "stormguard.watchedKinds" -}}
{{- $kinds := list -}}
{{- range $namespace, $needs := include "stormguard.watchedNamespaces" . | fromJson -}}
{{- $kinds = concat $kinds $needs.workloads -}}
{{- end -}}
{{- toJson ($kinds | uniq | sortAlpha) -}}
{{- end -}}
