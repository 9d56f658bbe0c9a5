#!/usr/bin/env python3
"""cuBLAS SGEMM through torch.mm on the GPU, FP32 with TF32 off: the peer of `GpuNet.Bench device-gemm` on the same
sizes. Prints the median of the timed calls (CUDA events) in ms and GFLOP/s, one Markdown row per size.

    python3 bench/pytorch_mm.py [--sizes 1024,2048,4096,8192] [--reps 10]
"""
import argparse
import torch

p = argparse.ArgumentParser()
p.add_argument("--sizes", default="1024,2048,4096,8192")
p.add_argument("--reps", type=int, default=10)
args = p.parse_args()
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
dev = torch.device("cuda")
print(f"{torch.cuda.get_device_name(0)}, torch {torch.__version__}, TF32 off")
print("| N | cuBLAS ms (median) | cuBLAS GFLOP/s |")
print("|---|---|---|")
for n in [int(s) for s in args.sizes.split(",")]:
    a = torch.rand(n, n, device=dev) - 0.5
    b = torch.rand(n, n, device=dev) - 0.5
    torch.mm(a, b)
    torch.cuda.synchronize()
    times = []
    for _ in range(args.reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        torch.mm(a, b)
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    times.sort()
    ms = times[len(times) // 2]
    print(f"| {n} | {ms:.3f} | {2.0 * n ** 3 / (ms * 1e6):.0f} |")
