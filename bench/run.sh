#!/usr/bin/env bash
# Runs a GpuNet benchmark in Release: bench/run.sh gemm | lenet-epoch [MNIST] [EPOCHS]
# OpenBLAS does not recognise this machine's AVX-512 Zen 4 cores; SkylakeX selects its AVX-512 kernels.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SkylakeX}
dotnet build "$root/bench/GpuNet.Bench" -c Release -v quiet -nologo >&2
cd "$root"
exec dotnet "$root/bench/GpuNet.Bench/bin/Release/net10.0/GpuNet.Bench.dll" "$@"
