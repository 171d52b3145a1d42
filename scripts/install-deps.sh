#!/usr/bin/env bash
# Installs the Debian packages whyslow builds against, if any is missing; with `test`, also
# what the test suite uses (headless Chromium renders the HTML report); with `spark`, Java
# from Debian and PySpark from PyPI (the Spark driver's test, make spark-test).
# Uses sudo when not root. Prints what it installs; silent when all are present.
set -euo pipefail

packages=(libopenblas-dev liblapacke-dev libsimdjson-dev zlib1g-dev libzstd-dev zstd libprotobuf-c-dev pkg-config)
if [ "${1:-}" = test ]; then packages+=(chromium fonts-dejavu-core protobuf-c-compiler); fi
if [ "${1:-}" = spark ]; then packages+=(openjdk-17-jre-headless); fi
pyspark=pyspark==4.3.0  # the version the driver is tested with; it needs Java 17 or later
install_pyspark() {
  [ "${1:-}" = spark ] || return 0
  python3 -c "import pyspark" 2>/dev/null && return 0
  echo "install-deps: installing $pyspark from PyPI" >&2
  python3 -m pip install -q "$pyspark" >&2
}
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then install_pyspark "${1:-}"; exit 0; fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
install_pyspark "${1:-}"
