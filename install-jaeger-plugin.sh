#!/bin/sh
# Installs the Jaeger native tracer plugin for Envoy (jaeger-client-cpp 0.4.2,
# built against libc++, the build Envoy's own Jaeger sandbox used) and refuses
# a file whose checksum differs. x86-64 only.
set -eu

URL=https://github.com/envoyproxy/misc/releases/download/jaegertracing-plugin/jaegertracing-plugin-centos.tar.gz
LIBRARY=libjaegertracing.so.0.4.2
SHA256=4a7d17d4724ee890490bcd6cfdedb12a02316a3d33214348d30979abd201f1ca
TARGET=/usr/local/lib/libjaegertracing_plugin.so

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
curl -fsSL --retry 3 -o "$workdir/plugin.tar.gz" "$URL"
tar -xzf "$workdir/plugin.tar.gz" -C "$workdir"
found=$(find "$workdir" -name "$LIBRARY" -type f | head -n 1)
if [ -z "$found" ]; then
  echo "install-jaeger-plugin: $LIBRARY is not in $URL" >&2
  exit 1
fi
if ! echo "$SHA256  $found" | sha256sum -c - >/dev/null 2>&1; then
  echo "install-jaeger-plugin: checksum mismatch for $LIBRARY: expected $SHA256, got $(sha256sum "$found" | cut -d' ' -f1)" >&2
  exit 1
fi
install -m 0644 "$found" "$TARGET"
echo "install-jaeger-plugin: $TARGET ($LIBRARY, sha256 $SHA256)"
