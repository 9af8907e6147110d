{{/* Chart name, truncated to 63 characters. */}}
{{- define "reaper.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name of the release's resources. */}}
{{- define "reaper.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Chart name and version, for the helm.sh/chart label. */}}
{{- define "reaper.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every resource. */}}
{{- define "reaper.labels" -}}
helm.sh/chart: {{ include "reaper.chart" . }}
{{ include "reaper.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels that select the pod. */}}
{{- define "reaper.selectorLabels" -}}
app.kubernetes.io/name: {{ include "reaper.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The ServiceAccount the pod runs as. */}}
{{- define "reaper.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "reaper.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret holding the tokens: the user's own, or the one this chart creates. */}}
{{- define "reaper.secretName" -}}
{{- default (include "reaper.fullname" .) .Values.existingSecret }}
{{- end }}

{{/* The image reference: repository@digest, or repository:tag (default: appVersion). */}}
{{- define "reaper.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The pod template shared by the Deployment (args: run) and the CronJob (args: once).
Call with (dict "root" $ "args" (list "run") "probes" true).
*/}}
{{- define "reaper.podSpec" -}}
{{- $root := .root -}}
{{- $values := $root.Values -}}
metadata:
  annotations:
    checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
    {{- if not $values.existingSecret }}
    checksum/secret: {{ include (print $root.Template.BasePath "/secret.yaml") $root | sha256sum }}
    {{- end }}
    {{- with $values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  labels:
    {{- include "reaper.labels" $root | nindent 4 }}
    {{- with $values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "reaper.serviceAccountName" $root }}
  automountServiceAccountToken: {{ $values.automountServiceAccountToken }}
  {{- with $values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  securityContext:
    {{- toYaml $values.podSecurityContext | nindent 4 }}
  {{- if not .probes }}
  restartPolicy: Never
  {{- end }}
  containers:
    - name: reaper
      image: {{ include "reaper.image" $root | quote }}
      imagePullPolicy: {{ $values.image.pullPolicy }}
      args:
        {{- toYaml .args | nindent 8 }}
      envFrom:
        - configMapRef:
            name: {{ include "reaper.fullname" $root }}
      env:
        # Tokens come from the Secret; these override the ConfigMap where both set a name.
        - name: REAPER_GITHUB_TOKEN
          valueFrom:
            secretKeyRef:
              name: {{ include "reaper.secretName" $root }}
              key: REAPER_GITHUB_TOKEN
        {{- range list "REAPER_SLACK_BOT_TOKEN" "REAPER_SLACK_WEBHOOK_URL" "REAPER_STATE_URL" }}
        - name: {{ . }}
          valueFrom:
            secretKeyRef:
              name: {{ include "reaper.secretName" $root }}
              key: {{ . }}
              optional: true
        {{- end }}
      {{- if .probes }}
      ports:
        - name: http
          containerPort: {{ $values.httpPort }}
          protocol: TCP
      livenessProbe:
        httpGet:
          path: /healthz
          port: http
        {{- toYaml $values.livenessProbe | nindent 8 }}
      readinessProbe:
        httpGet:
          path: /readyz
          port: http
        {{- toYaml $values.readinessProbe | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $values.securityContext | nindent 8 }}
      resources:
        {{- toYaml $values.resources | nindent 8 }}
      volumeMounts:
        - name: data
          mountPath: /data
        - name: tmp
          mountPath: /tmp
        {{- with $values.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    - name: data
      {{- if $values.persistence.enabled }}
      persistentVolumeClaim:
        claimName: {{ default (include "reaper.fullname" $root) $values.persistence.existingClaim }}
      {{- else }}
      emptyDir: {}
      {{- end }}
    - name: tmp
      emptyDir:
        sizeLimit: {{ $values.tmpSizeLimit }}
    {{- with $values.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with $values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/*
"true" when the state is in PostgreSQL, as far as the chart can see: the Secret's URL when
the chart creates the Secret, else `stateUrl` (with existingSecret, set `stateUrl` to the
PostgreSQL URL without its password; the Secret's REAPER_STATE_URL still wins at run time).
*/}}
{{- define "reaper.postgresState" -}}
{{- $url := .Values.stateUrl -}}
{{- if and (not .Values.existingSecret) .Values.secret.stateUrl -}}
{{- $url = .Values.secret.stateUrl -}}
{{- end -}}
{{- if hasPrefix "postgresql" $url -}}true{{- end -}}
{{- end }}

{{/* Refuse value combinations that would run two writers on one SQLite file. */}}
{{- define "reaper.validateReplicas" -}}
{{- if gt (int .Values.replicaCount) 1 -}}
{{- if ne .Values.mode "deployment" -}}
{{- fail "replicaCount > 1 is for mode: deployment; a CronJob runs one Job per slot (concurrencyPolicy: Forbid)" -}}
{{- end -}}
{{- if not (include "reaper.postgresState" .) -}}
{{- fail "replicaCount > 1 needs the state in PostgreSQL: SQLite is a file on a ReadWriteOnce volume that only one pod can use. Set stateUrl (or secret.stateUrl) to a postgresql:// URL, or keep replicaCount: 1" -}}
{{- end -}}
{{- if .Values.persistence.enabled -}}
{{- fail "replicaCount > 1 keeps the state in PostgreSQL: set persistence.enabled=false (the replicas cannot share a ReadWriteOnce volume)" -}}
{{- end -}}
{{- end -}}
{{- end }}
