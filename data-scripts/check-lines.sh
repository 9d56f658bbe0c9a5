#!/usr/bin/env bash
# Fails, listing them, if any C# line in the tree is wider than 120 characters (the .editorconfig limit; characters,
# not bytes). data-scripts/wrap-lines.py FILE... wraps long lines without changing what the code means.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
git ls-files -co --exclude-standard '*.cs' | python3 -c '
import sys
bad = 0
for path in sys.stdin.read().split():
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if len(line) > 120:
                bad += 1
                print(f"{path}:{i}: {len(line)} characters")
if bad:
    print(f"{bad} lines are wider than 120 characters", file=sys.stderr)
    sys.exit(1)
'
