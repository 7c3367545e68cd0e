#!/usr/bin/env bash
# Installs the Debian packages the project needs, when some are missing.
# As root it installs them; otherwise it prints the exact line to run.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libevent-dev libssl-dev default-libmysqlclient-dev libjansson-dev libcriterion-dev
  libcurl4-openssl-dev
  mariadb-server mariadb-client openssl curl tzdata
)
# make test's OpenAPI check runs on Node.js (a machine may have its own, newer one).
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
[ "${1:-}" = "--dev" ] && packages+=(clang libclang-rt-14-dev clang-format clang-tidy cppcheck)
# make test's browser journeys: Chromium, and a font with Chinese characters for the screenshots.
[ "${1:-}" = "--browser" ] && packages+=(chromium fonts-wqy-microhei)
# make cluster: Galera replication, its rsync state transfer, the balancer.
[ "${1:-}" = "--cluster" ] && packages+=(galera-4 rsync haproxy)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "Missing packages. Run as root:" >&2
  echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
