#!/usr/bin/env bash
# Renders the synthetic RGB JPEG image folder used to try the image pipeline and AlexNet here (no photo data set can be
# downloaded on these machines): ten classes of shapes in random colours, sizes and rotations on textured backgrounds.
#   DIR/train/<class>/*.jpg (300 per class)   DIR/test/<class>/*.jpg (50 per class), shorter side 96 px
# Usage: data-scripts/shapes.sh [DIR] [extra make-shapes options, e.g. --per-class 1000 --size 256]   (default data/shapes)
# Does nothing if DIR already exists. Needs libturbojpeg0 (apt-get install libturbojpeg0).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-"$root/data/shapes"}
shift || true
if [ -d "$dir/train" ]; then
  echo "shapes already in $dir"
  exit 0
fi
gpunet=$("$root/data-scripts/gpunet-build.sh")
$gpunet make-shapes --out "$dir" "$@"
