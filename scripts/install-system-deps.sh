#!/usr/bin/env bash
# Installs the Debian packages the tests use: Chromium (WebRTC in a real browser), coturn (TURN), redis-server (relay
# scale-out), nftables + iproute2 (the network lab in test/lab: namespaces, NAT, uplink caps, loss) and janus (SFU).
# Idempotent: installs only what is missing. Escalates with sudo when not run as root.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v turnserver >/dev/null 2>&1 || missing+=(coturn)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# nft lives in /usr/sbin, which is not on every user's PATH: look there too.
command -v nft >/dev/null 2>&1 || [ -x /usr/sbin/nft ] || missing+=(nftables)
{ command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ]; } && { command -v tc >/dev/null 2>&1 || [ -x /usr/sbin/tc ] || [ -x /sbin/tc ]; } || missing+=(iproute2)
command -v janus >/dev/null 2>&1 || missing+=(janus)
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages present: chromium, coturn, redis-server, nftables, iproute2, janus"
  exit 0
fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then as_root=(sudo); fi
echo "installing: ${missing[*]}"
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "${missing[@]}"
# Debian starts redis, coturn and janus as services on install; tests run their own on free ports (or in lab namespaces).
