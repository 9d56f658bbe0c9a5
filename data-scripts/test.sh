#!/usr/bin/env bash
# The test command: makes sure the MNIST image folders exist (the training tests need them), then runs every test.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/data-scripts/mnist.sh" "$root/data/mnist"
"$root/data-scripts/iris.sh" "$root/data/iris"
dotnet test "$root/GpuNet.sln" -c Release --nologo "$@"
