#!/usr/bin/env bash
# Renders the README's report screenshots with headless Chromium (Debian's chromium, installed by
# `scripts/install-deps.sh test`): the demo, and the real TrainTicket case TT-2023-01-30-1151 at
# 1400 and 800 pixels wide. Writes docs/images/*.png. Run after changing the report:
#   scripts/screenshots.sh [path/to/whyslow]
set -euo pipefail
cd "$(dirname "$0")/.."
whyslow=${1:-.build/release/whyslow}
nezha=${NEZHA:-../shared/datasets/real/nezha}
out=docs/images
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
"$whyslow" analyze --fast Datasets/demo/fast --slow Datasets/demo/slow --html "$work/demo.html" >/dev/null 2>&1
"$whyslow" analyze --fast "$nezha/construct_data/2023-01-30/trace/11_39_trace.csv" \
  --slow "$nezha"/rca_data/2023-01-30/trace/11_5{1,2,3}_trace.csv --html "$work/tt1151.html" >/dev/null 2>&1
shot() {  # page width height image
  chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --window-size="$2,$3" \
    --screenshot="$out/$4" "file://$work/$1" >/dev/null 2>&1
  echo "wrote $out/$4"
}
shot demo.html 1400 1500 report-demo.png
shot tt1151.html 1400 2300 report-tt1151.png
shot tt1151.html 800 2300 report-tt1151-800.png
