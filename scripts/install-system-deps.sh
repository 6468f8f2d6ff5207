#!/usr/bin/env bash
# Installs what Berth's demo, tests and benchmarks need on a fresh Debian/Ubuntu machine,
# and starts dockerd when no engine answers (there is no systemd on CI machines).
set -euo pipefail

packages=(docker.io docker-registry busybox-static iptables iproute2 nginx-light wrk systemd shellcheck openssl curl pebble)
missing=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  echo "starting dockerd (log: /tmp/berth-dockerd.log)"
  setsid dockerd >/tmp/berth-dockerd.log 2>&1 </dev/null &
  for _ in $(seq 1 150); do
    docker info >/dev/null 2>&1 && break
    sleep 0.2
  done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start; see /tmp/berth-dockerd.log" >&2; exit 1; }
fi
