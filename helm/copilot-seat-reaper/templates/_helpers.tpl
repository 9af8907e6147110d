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
    {{- if include "reaper.userMapFile" $root }}
    checksum/user-map: {{ include (print $root.Template.BasePath "/usermap.yaml") $root | sha256sum }}
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
        {{- range $name, $secret := include "reaper.secretSettings" $root | fromYaml }}
        - name: {{ $name }}
          valueFrom:
            secretKeyRef:
              name: {{ include "reaper.secretName" $root }}
              key: {{ $name }}
              {{- if $secret.optional }}
              optional: true
              {{- end }}
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
        {{- if include "reaper.userMapFile" $root }}
        - name: user-map
          mountPath: {{ include "reaper.userMapDir" $root }}
          readOnly: true
        {{- end }}
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
    {{- if include "reaper.userMapFile" $root }}
    - name: user-map
      configMap:
        name: {{ include "reaper.userMapConfigMap" $root }}
    {{- end }}
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

{{/*
Every setting the chart sets, as YAML: REAPER_* name -> {value: the chart value that sets
it, env: the string the ConfigMap holds, whenSet: true when left out while empty}. The
ConfigMap, NOTES.txt and the extraEnv check all read this one table.
*/}}
{{- define "reaper.settings" -}}
{{- $v := .Values -}}
REAPER_DRY_RUN: {value: dryRun, env: {{ $v.dryRun | toString | toJson }}}
REAPER_SCHEDULE: {value: schedule, env: {{ $v.schedule | toJson }}}
REAPER_RUN_ON_START: {value: runOnStart, env: {{ $v.runOnStart | toString | toJson }}}
REAPER_INACTIVE_DAYS: {value: inactiveDays, env: {{ $v.inactiveDays | int64 | toString | toJson }}}
REAPER_GRACE_DAYS: {value: graceDays, env: {{ $v.graceDays | int64 | toString | toJson }}}
REAPER_ACTIVITY: {value: activity, env: {{ $v.activity | toJson }}}
REAPER_REINSTATE_EXEMPT_DAYS: {value: reinstateExemptDays, env: {{ $v.reinstateExemptDays | int64 | toString | toJson }}}
REAPER_EXEMPT_USERS: {value: exemptUsers, env: {{ join "," $v.exemptUsers | toJson }}}
REAPER_EXEMPT_TEAMS: {value: exemptTeams, env: {{ join "," $v.exemptTeams | toJson }}}
REAPER_RECLAIM_TEAMS: {value: reclaimTeams, env: {{ join "," $v.reclaimTeams | toJson }}}
REAPER_RECLAIM_TEAM_MAINTAINERS: {value: reclaimTeamMaintainers, env: {{ $v.reclaimTeamMaintainers | toString | toJson }}}
REAPER_MAX_CANCELLATIONS: {value: maxCancellations, env: {{ $v.maxCancellations | int64 | toString | toJson }}}
REAPER_MAX_CANCELLATION_PERCENT: {value: maxCancellationPercent, env: {{ $v.maxCancellationPercent | toString | toJson }}}
REAPER_MAX_FORGET_PERCENT: {value: maxForgetPercent, env: {{ $v.maxForgetPercent | toString | toJson }}}
REAPER_CYCLE_TIMEOUT_SECONDS: {value: cycleTimeoutSeconds, env: {{ $v.cycleTimeoutSeconds | toString | toJson }}}
REAPER_CANCEL_TIMING: {value: cancelTiming, env: {{ $v.cancelTiming | toJson }}}
REAPER_BILLING_CYCLE_DAY: {value: billingCycleDay, env: {{ if $v.billingCycleDay }}{{ $v.billingCycleDay | int64 | toString | toJson }}{{ else }}""{{ end }}, whenSet: true}
REAPER_CYCLE_MARGIN_DAYS: {value: cycleMarginDays, env: {{ $v.cycleMarginDays | int64 | toString | toJson }}}
REAPER_USAGE_REPORT: {value: usageReport, env: {{ $v.usageReport | toJson }}}
REAPER_LIGHT_USE_DAYS: {value: lightUseDays, env: {{ $v.lightUseDays | int64 | toString | toJson }}}
REAPER_GITHUB_ORGS: {value: github.orgs, env: {{ join "," $v.github.orgs | toJson }}}
REAPER_GITHUB_ENTERPRISE: {value: github.enterprise, env: {{ $v.github.enterprise | toJson }}, whenSet: true}
REAPER_GITHUB_APP_ID: {value: github.app.id, env: {{ $v.github.app.id | toString | toJson }}}
REAPER_GITHUB_APP_INSTALLATION_ID: {value: github.app.installationId, env: {{ if $v.github.app.installationId }}{{ $v.github.app.installationId | int64 | toString | toJson }}{{ else }}""{{ end }}}
REAPER_GITHUB_API_URL: {value: github.apiUrl, env: {{ $v.github.apiUrl | toJson }}}
REAPER_GITHUB_GRAPHQL_URL: {value: github.graphqlUrl, env: {{ $v.github.graphqlUrl | toJson }}, whenSet: true}
REAPER_GITHUB_API_VERSION: {value: github.apiVersion, env: {{ $v.github.apiVersion | toJson }}}
REAPER_GITHUB_TIMEOUT_SECONDS: {value: github.timeoutSeconds, env: {{ $v.github.timeoutSeconds | toString | toJson }}}
REAPER_GITHUB_MAX_ATTEMPTS: {value: github.maxAttempts, env: {{ $v.github.maxAttempts | int64 | toString | toJson }}}
REAPER_GITHUB_MAX_WAIT_SECONDS: {value: github.maxWaitSeconds, env: {{ $v.github.maxWaitSeconds | toString | toJson }}}
REAPER_GITHUB_RATE_LIMIT_RESERVE: {value: github.rateLimitReserve, env: {{ $v.github.rateLimitReserve | int64 | toString | toJson }}}
REAPER_SLACK_CHANNEL: {value: slack.channel, env: {{ $v.slack.channel | toJson }}, whenSet: true}
REAPER_SLACK_API_URL: {value: slack.apiUrl, env: {{ $v.slack.apiUrl | toJson }}}
REAPER_SLACK_REPORT: {value: slack.report, env: {{ $v.slack.report | toJson }}}
REAPER_SLACK_DM: {value: slack.dm, env: {{ $v.slack.dm | toString | toJson }}}
REAPER_SLACK_ADMINS: {value: slack.admins, env: {{ join "," $v.slack.admins | toJson }}}
REAPER_KEEP_DAYS: {value: keepDays, env: {{ $v.keepDays | int64 | toString | toJson }}}
REAPER_USER_MAP_FILE: {value: userMap, env: {{ include "reaper.userMapFile" . | toJson }}, whenSet: true}
REAPER_IDENTITY: {value: identity.sources, env: {{ join "," $v.identity.sources | toJson }}}
REAPER_EMAIL_DOMAINS: {value: identity.emailDomains, env: {{ join "," $v.identity.emailDomains | toJson }}}
REAPER_IDENTITY_MAX_AGE_DAYS: {value: identity.maxAgeDays, env: {{ $v.identity.maxAgeDays | int64 | toString | toJson }}}
REAPER_PRICE_BUSINESS: {value: prices.business, env: {{ $v.prices.business | toString | toJson }}}
REAPER_PRICE_ENTERPRISE: {value: prices.enterprise, env: {{ $v.prices.enterprise | toString | toJson }}}
REAPER_STATE_URL: {value: "stateUrl (or secret.stateUrl for a URL with a password)", env: {{ $v.stateUrl | toJson }}}
REAPER_LOG_FORMAT: {value: log.format, env: {{ $v.log.format | toJson }}}
REAPER_LOG_LEVEL: {value: log.level, env: {{ $v.log.level | toJson }}}
REAPER_HTTP_PORT: {value: httpPort, env: {{ $v.httpPort | int64 | toString | toJson }}}
{{- end }}

{{/* Settings the pod reads from the Secret: REAPER_* name -> {value, optional}. */}}
{{- define "reaper.secretSettings" -}}
REAPER_GITHUB_TOKEN: {value: "secret.githubToken (or REAPER_GITHUB_TOKEN in existingSecret)", optional: {{ if .Values.github.app.id }}true{{ else }}false{{ end }}}
REAPER_GITHUB_APP_PRIVATE_KEY: {value: "secret.githubAppPrivateKey (or the key in existingSecret)", optional: true}
REAPER_SLACK_BOT_TOKEN: {value: "secret.slackBotToken (or the key in existingSecret)", optional: true}
REAPER_SLACK_WEBHOOK_URL: {value: "secret.slackWebhookUrl (or the key in existingSecret)", optional: true}
REAPER_SLACK_APP_TOKEN: {value: "secret.slackAppToken (or the key in existingSecret)", optional: true}
REAPER_STATE_URL: {value: "stateUrl (or secret.stateUrl for a URL with a password)", optional: true}
{{- end }}

{{/* Where the user map file is mounted, or nothing without one. */}}
{{- define "reaper.userMapDir" -}}/etc/reaper/user-map{{- end }}
{{- define "reaper.userMapFile" -}}
{{- if .Values.userMap.existingConfigMap -}}
{{ include "reaper.userMapDir" . }}/{{ .Values.userMap.key }}
{{- else if .Values.userMap.users -}}
{{ include "reaper.userMapDir" . }}/users.yaml
{{- end -}}
{{- end }}

{{/* The ConfigMap holding the user map: the user's own, or the one this chart creates. */}}
{{- define "reaper.userMapConfigMap" -}}
{{- default (printf "%s-user-map" (include "reaper.fullname" .)) .Values.userMap.existingConfigMap }}
{{- end }}

{{/*
Refuse a release that could not run or could go live by accident: a variable in extraEnv
that the chart sets from a value, no organisation or enterprise, no token source, no image.
*/}}
{{- define "reaper.validate" -}}
{{- $owned := merge (include "reaper.settings" . | fromYaml) (include "reaper.secretSettings" . | fromYaml) -}}
{{- range $name, $_ := .Values.extraEnv -}}
{{- with get $owned $name -}}
{{- fail (printf "extraEnv.%s: the chart sets %s from the value `%s`; set that value instead (extraEnv may not override it)" $name $name .value) -}}
{{- end -}}
{{- end -}}
{{- if and (empty .Values.github.orgs) (not .Values.github.enterprise) -}}
{{- fail "nothing to manage: set github.orgs (e.g. --set 'github.orgs={my-org}') or github.enterprise (an enterprise slug)" -}}
{{- end -}}
{{- if and .Values.github.app.id (not .Values.existingSecret) (not .Values.secret.githubAppPrivateKey) -}}
{{- fail "github.app.id needs the App's private key: set existingSecret to a Secret holding REAPER_GITHUB_APP_PRIVATE_KEY (kubectl -n NAMESPACE create secret generic reaper-tokens --from-file=REAPER_GITHUB_APP_PRIVATE_KEY=app.pem), or secret.githubAppPrivateKey" -}}
{{- end -}}
{{- if and (not .Values.existingSecret) (not .Values.secret.githubToken) (not .Values.github.app.id) -}}
{{- fail "no GitHub token: set existingSecret to a Secret holding REAPER_GITHUB_TOKEN (kubectl -n NAMESPACE create secret generic reaper-tokens --from-literal=REAPER_GITHUB_TOKEN=...), or secret.githubToken" -}}
{{- end -}}
{{- if and .Values.secret.slackAppToken (not .Values.existingSecret) (eq .Values.mode "cronjob") -}}
{{- fail "secret.slackAppToken: Slack buttons need mode deployment (a CronJob has no process to answer them); use mode deployment or drop the app token" -}}
{{- end -}}
{{- if not .Values.image.repository -}}
{{- fail "image.repository is not set: build the image and push it where the cluster can pull it (README: Kubernetes), then set image.repository; the published chart defaults to the published image" -}}
{{- end -}}
{{- if and .Values.userMap.users .Values.userMap.existingConfigMap -}}
{{- fail "userMap: set userMap.users or userMap.existingConfigMap, not both" -}}
{{- end -}}
{{- if and .Values.secret.slackBotToken (not .Values.existingSecret) (not .Values.slack.channel) -}}
{{- fail "secret.slackBotToken needs slack.channel (the channel the bot posts the report to)" -}}
{{- end -}}
{{- include "reaper.validateReplicas" . -}}
{{- end }}
