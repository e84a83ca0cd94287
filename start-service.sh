#!/usr/bin/env bash
# Runs one service and its sidecar Envoy in one container, in every variant: the image's
# template is the native, Zipkin or OpenTelemetry sidecar config.
#  - renders the sidecar from the shared template (service_name service$SERVICE_NAME)
#  - if either process dies, stops the other and exits with its status
#  - on SIGTERM/SIGINT, lets the service finish its in-flight requests (their
#    egress still runs through the sidecar) and flush its spans, gives the sidecar
#    time to send its own, then stops Envoy
# With an argument it runs one of the two, for a pod that holds them in two containers
# (k8s/base/service): `sidecar` renders the template and runs Envoy, `app` runs the service.
# There the kubelet keeps the order this script keeps by hand (docs/kubernetes.md).
set -euo pipefail

role=${1:-both}
if [[ ! "$role" =~ ^(both|sidecar|app)$ ]]; then
  echo "start-service: the argument must be sidecar or app (none runs both), got '$role'" >&2
  exit 2
fi

if [[ ! "${SERVICE_NAME:-}" =~ ^[1-9][0-9]*$ ]]; then
  echo "start-service: SERVICE_NAME must be the service number (1, 2), got '${SERVICE_NAME:-}'" >&2
  exit 2
fi

if [[ "$role" == app ]]; then
  exec node --require ./dist/services/instrumentation.js dist/services/server.js
fi

template=${ENVOY_TEMPLATE:-/etc/envoy/service-envoy.yaml}
config=$(mktemp --suffix=.yaml)
sed "s/\${SERVICE_NAME}/${SERVICE_NAME}/g" "$template" >"$config"

if [[ "$role" == sidecar ]]; then
  exec envoy -c "$config" --service-cluster "service${SERVICE_NAME}" --log-level "${ENVOY_LOG_LEVEL:-warn}"
fi

envoy -c "$config" --service-cluster "service${SERVICE_NAME}" --log-level "${ENVOY_LOG_LEVEL:-warn}" &
envoy_pid=$!
node --require ./dist/services/instrumentation.js dist/services/server.js &
app_pid=$!

stopping=0
on_signal() {
  stopping=1
  kill -TERM "$app_pid" 2>/dev/null || true
}
trap on_signal TERM INT

status=0
wait -n "$app_pid" "$envoy_pid" || status=$?
if ((stopping)); then
  status=0
  wait "$app_pid" || status=$?
  # The sidecar's tracer sends what it holds every second (the plugin's bufferFlushInterval,
  # the Zipkin tracer's tracing.zipkin.flush_interval_ms, the OpenTelemetry tracer's
  # tracing.opentelemetry.flush_interval_ms) and drops it when Envoy stops:
  # one more round, so the last requests keep their sidecar spans.
  sleep "${SPAN_FLUSH_SECONDS:-2}"
else
  echo "start-service: a process of service${SERVICE_NAME} exited (status $status); stopping the container" >&2
fi
kill -TERM "$app_pid" "$envoy_pid" 2>/dev/null || true
wait || true
exit "$status"
