#!/usr/bin/env bash
# Data-parallel scaling of `gpunet train` on this machine: images/s for LeNet-5 (MNIST) and alexnet-small (the
# synthetic shapes) with one process on one core, two mpirun ranks of one core each, and one process on two cores,
# round after round so the three see the same machine; and, from rank 0's output, the gradient reduction's ms per step
# (all of it, and the part spent waiting after backward) against the step's ms.
# Usage: bench/data-parallel.sh [MNIST] [SHAPES] [ROUNDS] [EPOCHS]
# (needs mpirun: apt-get install openmpi-bin libopenmpi3)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mnist=${1:-$root/data/mnist}
shapes=${2:-/tmp/gpunet-shapes}
rounds=${3:-2}
epochs=${4:-3}
gpunet=$("$root/data-scripts/gpunet-build.sh")
[ -d "$shapes/train" ] || $gpunet make-shapes --out "$shapes" >/dev/null
# as root (containers, CI) mpirun needs to be told
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 NO_COLOR=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# one run: CONFIG MODEL DATA; prints a table row from its metrics.csv (epochs 2.. only: the first includes the JIT)
# and rank 0's reduction times
run() {
  local config=$1 model=$2 data=$3 out="$work/run"
  rm -rf "$out"
  local args=(train --model "$model" --data "$data" --out "$out" --epochs "$epochs" --batch 32 --device cpu)
  case $config in
    "1 process, 1 core") taskset -c 0 $gpunet "${args[@]}" --workers 1 >"$work/log" 2>&1 ;;
    "2 ranks, 1 core each") mpirun -np 2 --bind-to core $gpunet "${args[@]}" >"$work/log" 2>&1 ;;
    "1 process, 2 cores") $gpunet "${args[@]}" --workers 2 >"$work/log" 2>&1 ;;
  esac || { cat "$work/log" >&2; exit 1; }
  python3 - "$out/metrics.csv" "$work/log" "$model" "$config" <<'EOF'
import csv, math, re, statistics, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if int(r["epoch"]) >= 2]
ips = [float(r["images_per_second"]) for r in rows]
step_ms = [float(r["seconds"]) * 1000 / math.ceil(float(r["images_per_second"]) * float(r["seconds"]) / 32 - 1e-6)
           for r in rows]
# rank 0's lines may be wrapped (mpirun gives it a terminal of 80 columns)
log = re.sub(r"\s+", " ", open(sys.argv[2]).read())
red = re.findall(r"epoch (\d+): gradient reduction ([\d.]+) ms per step on rank 0, of which ([\d.]+) ms wait", log)
red = [(float(a), float(b)) for e, a, b in red if int(e) >= 2]
total = f"{statistics.median(a for a, _ in red):.2f}" if red else "–"
waiting = f"{statistics.median(b for _, b in red):.2f}" if red else "–"
share = f"{100 * statistics.median(a for a, _ in red) / statistics.median(step_ms):.1f}%" if red else "–"
print(f"| {sys.argv[3]} | {sys.argv[4]} | {' / '.join(f'{v:,.0f}' for v in ips)} | {statistics.median(step_ms):.1f} | "
      f"{total} | {waiting} | {share} |")
EOF
}

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
echo "$(nproc) cores; $cpu; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| model | configuration | images/s, epochs 2..$epochs | step ms (median) | reduction ms/step |" \
  "of which waiting | reduction share of step |"
echo "|---|---|---|---|---|---|---|"
for r in $(seq "$rounds"); do
  for model in lenet5 alexnet-small; do
    data=$mnist; [ $model = lenet5 ] || data=$shapes
    for config in "1 process, 1 core" "2 ranks, 1 core each" "1 process, 2 cores"; do
      run "$config" $model "$data"
    done
  done
  echo "(round $r done; load $(cut -d' ' -f1-3 /proc/loadavg))"
done
