#!/usr/bin/env bash
# Installs the Debian packages whyslow builds against, if any is missing; with `test`, also
# what the test suite uses (headless Chromium renders the HTML report).
# Uses sudo when not root. Prints what it installs; silent when all are present.
set -euo pipefail

packages=(libopenblas-dev liblapacke-dev libsimdjson-dev zlib1g-dev pkg-config)
if [ "${1:-}" = test ]; then packages+=(chromium fonts-dejavu-core); fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
