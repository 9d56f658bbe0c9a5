#!/bin/bash
# The graph executor against the chain (issue #25): OLD=path to an older build of gpunet, NEW=this one;
# interleaved, training img/s from the epoch lines. Needs data/mnist and data/shapes (data-scripts/).
cd "$(dirname "$0")/.."
OLD=${OLD:?set OLD to an older gpunet, e.g. a worktree build of 49a7084}
NEW=${NEW:-$PWD/src/GpuNet.Cli/bin/Release/net10.0/gpunet}
for round in 1 2 3; do
  for side in old new; do
    G=$OLD; [ $side = new ] && G=$NEW
    r=$($G train --model lenet5 --data data/mnist --limit 20000 --epochs 1 --out /tmp/b-$side-l --overwrite 2>&1 | grep -o "epoch 1: .*" | grep -o "([0-9,]* img/s" )
    echo "lenet5 $side round $round $r"
    r=$($G train --model alexnet-small --data data/shapes --epochs 2 --out /tmp/b-$side-a --overwrite 2>&1 | grep -o "epoch 2: .*" | grep -o "([0-9,]* img/s")
    echo "alexnet-small $side round $round $r"
  done
done
