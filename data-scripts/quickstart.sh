#!/usr/bin/env bash
# The main job: fetch MNIST if missing, train LeNet-5 on the CPU accelerator, print the test accuracy.
# Extra arguments go to `gpunet train` (e.g. --epochs 3). The run goes to runs/lenet5-mnist, or, when an earlier run
# is there, to the first free runs/lenet5-mnist-N: a run already made is never replaced.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/data-scripts/mnist.sh" "$root/data/mnist"
gpunet=$("$root/data-scripts/gpunet-build.sh")
out="$root/runs/lenet5-mnist"
n=2
while [ -e "$out" ]; do out="$root/runs/lenet5-mnist-$n"; n=$((n + 1)); done
$gpunet train --model lenet5 --data "$root/data/mnist" --device cpu --out "$out" "$@"
