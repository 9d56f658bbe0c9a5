#!/usr/bin/env python3
"""The reference for GpuNet's AlexNet step on a GPU (issue: CUDA accelerator): the same grouped 2012 AlexNet in
PyTorch/cuDNN, FP32 with TF32 off, batch 128 at 227x227, one SGD-with-momentum step = forward + backward + update.
Prints the median of the timed steps (CUDA events) and the forward-only median, in ms.

    python3 bench/pytorch_alexnet.py [--batch 128] [--steps 20]

Compare with `gpunet split-experiment --model alexnet --devices cuda:0,cuda:0 --batch 128` (single-device rows) or
`bench/run.sh layers alexnet 128 20 cuda:0` on the same GPU.
"""
import argparse
import torch
import torch.nn as nn


def alexnet(classes=1000):
    # Krizhevsky et al. 2012, one device with groups=2 where the two towers did not talk: conv2, conv4, conv5
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(inplace=True), nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0),
        nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(inplace=True), nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0),
        nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(3, 2), nn.Flatten(),
        nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5),
        nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5),
        nn.Linear(4096, classes))


def median_ms(fn, steps):
    for _ in range(5):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(steps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    times.sort()
    return times[len(times) // 2]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=20)
    a = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    dev = torch.device("cuda")
    model = alexnet().to(dev)
    params = sum(p.numel() for p in model.parameters())
    assert params == 60965224, params
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.randn(a.batch, 3, 227, 227, device=dev)
    y = torch.randint(0, 1000, (a.batch,), device=dev)

    def step():
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        opt.step()

    def forward():
        with torch.no_grad():
            model(x)

    print(f"{torch.cuda.get_device_name()}, torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}, FP32, TF32 off")
    print(f"AlexNet ({params:,} parameters), batch {a.batch}: step (forward+backward+update) "
          f"{median_ms(step, a.steps):.2f} ms, forward {median_ms(forward, a.steps):.2f} ms (medians of {a.steps})")


if __name__ == "__main__":
    main()
