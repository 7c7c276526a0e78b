#!/usr/bin/env bash
# Installs the Debian packages the tests use: Chromium (WebRTC in a real browser), coturn (TURN), redis-server (relay scale-out).
# Idempotent: installs only what is missing. Escalates with sudo when not run as root.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v turnserver >/dev/null 2>&1 || missing+=(coturn)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages present: chromium, coturn, redis-server"
  exit 0
fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then as_root=(sudo); fi
echo "installing: ${missing[*]}"
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "${missing[@]}"
# Debian starts redis and coturn as services on install; tests run their own on free loopback ports.
