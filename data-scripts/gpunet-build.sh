#!/usr/bin/env bash
# Builds the gpunet command (Release) quietly and prints how to run it: `$(data-scripts/gpunet-build.sh) --help`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dotnet build "$root/src/GpuNet.Cli" -c Release -v quiet -nologo >&2 || { echo "error: build of src/GpuNet.Cli failed" >&2; exit 1; }
echo "dotnet $root/src/GpuNet.Cli/bin/Release/net10.0/gpunet.dll"
