#!/bin/sh
# Starts Jaeger with config.yaml and the files of one sampling mode laid over it, in Compose (the
# image's own entrypoint, run by this script) and with npm run local (JAEGER_BIN):
#   JAEGER_SAMPLING=head      the tracers sample as sampling-strategies.json says (the default)
#   JAEGER_SAMPLING=tail      they keep every trace; Jaeger stores every one with an error, every
#                             one slower than TAIL_SAMPLING_THRESHOLD_MS (default 500) and
#                             TAIL_SAMPLING_SHARE (0 to 1, default 0.1) of the rest
#   JAEGER_SAMPLING=adaptive  Jaeger works out each operation's probability, for about
#                             ADAPTIVE_SAMPLING_TARGET traces a second (default 1), every
#                             ADAPTIVE_SAMPLING_INTERVAL (default 30s)
# Jaeger itself takes any number there (a share of 1.5 keeps every trace, and so does a threshold
# of -1), so the settings are checked first, and a bad one stops the start with a one-line error.
# --check checks them and prints the command without starting Jaeger.
# Busybox sh, as in the Jaeger image: no bash.
set -eu

dir=$(dirname "$0")
jaeger=${JAEGER_BIN:-/cmd/jaeger/jaeger-linux}

fail() {
  echo "start-jaeger: $*" >&2
  exit 2
}
# matches VALUE REGEX: the whole value matches the extended regular expression.
matches() {
  printf '%s\n' "$1" | grep -Eqx "$2"
}

check=false
if [ "${1-}" = --check ]; then
  check=true
  shift
fi

mode=${JAEGER_SAMPLING:-head}
case "$mode" in
  head)
    set -- --config "$dir/config.yaml" --config "$dir/strategies-file.yaml" "$@"
    ;;
  tail)
    share=${TAIL_SAMPLING_SHARE:-0.1}
    threshold=${TAIL_SAMPLING_THRESHOLD_MS:-500}
    matches "$share" '(0|1)(\.[0-9]*)?|\.[0-9]+' && awk -v s="$share" 'BEGIN { exit !(s <= 1) }' ||
      fail "TAIL_SAMPLING_SHARE must be a number from 0 to 1, got '$share'"
    matches "$threshold" '[0-9]+' || fail "TAIL_SAMPLING_THRESHOLD_MS must be a whole number of milliseconds, 0 or more, got '$threshold'"
    # The processor takes a percentage.
    TAIL_SAMPLING_PERCENTAGE=$(awk -v s="$share" 'BEGIN { printf "%.6g", s * 100 }')
    TAIL_SAMPLING_THRESHOLD_MS=$threshold
    export TAIL_SAMPLING_PERCENTAGE TAIL_SAMPLING_THRESHOLD_MS
    set -- --config "$dir/config.yaml" --config "$dir/strategies-file.yaml" --config "$dir/tail-sampling.yaml" "$@"
    ;;
  adaptive)
    target=${ADAPTIVE_SAMPLING_TARGET:-1}
    interval=${ADAPTIVE_SAMPLING_INTERVAL:-30s}
    matches "$target" '[0-9]*\.?[0-9]+' && awk -v t="$target" 'BEGIN { exit !(t > 0) }' ||
      fail "ADAPTIVE_SAMPLING_TARGET must be a number of traces a second above 0, got '$target'"
    matches "$interval" '[1-9][0-9]*(ms|s|m)' || fail "ADAPTIVE_SAMPLING_INTERVAL must be a duration such as 500ms, 30s or 1m, got '$interval'"
    ADAPTIVE_SAMPLING_TARGET=$target
    ADAPTIVE_SAMPLING_INTERVAL=$interval
    export ADAPTIVE_SAMPLING_TARGET ADAPTIVE_SAMPLING_INTERVAL
    set -- --config "$dir/config.yaml" --config "$dir/strategies-adaptive.yaml" "$@"
    ;;
  *)
    fail "JAEGER_SAMPLING must be head, tail or adaptive, got '$mode'"
    ;;
esac

if [ "$check" = true ]; then
  echo "$jaeger $*"
  exit 0
fi
exec "$jaeger" "$@"
