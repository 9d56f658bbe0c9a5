#!/usr/bin/env bash
# The main job: fetch MNIST if missing, train LeNet-5 on the CPU accelerator, print the test accuracy.
# Extra arguments go to `gpunet train` (e.g. --epochs 3).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/data-scripts/mnist.sh" "$root/data/mnist"
gpunet=$("$root/data-scripts/gpunet-build.sh")
$gpunet train --model lenet5 --data "$root/data/mnist" --device cpu --out "$root/runs/lenet5-mnist" "$@"
