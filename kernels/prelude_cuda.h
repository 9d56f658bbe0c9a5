// Prelude for NVRTC: maps the OpenCL C used in kernels/ onto CUDA C++ (the CLBlast approach, opencl_to_cuda.h).
// Vector types appear only under #ifndef CUDA, so no vector operators are needed. A __local pointer parameter is
// written LOCAL_PTR (shared memory needs no qualifier on a parameter in CUDA).
#define CUDA 1
#define DEVICE_FUNC __device__
#define LOCAL_PTR
typedef unsigned int uint;
#define REQD_WORK_GROUP_SIZE(x, y, z)
#define __kernel extern "C" __global__
#define __global
#define __local __shared__
#define __constant const
#define __private
#define barrier(x) __syncthreads()
#define CLK_LOCAL_MEM_FENCE 0
#define CLK_GLOBAL_MEM_FENCE 0
__device__ inline int get_local_id(int d) { return d == 0 ? threadIdx.x : d == 1 ? threadIdx.y : threadIdx.z; }
__device__ inline int get_group_id(int d) { return d == 0 ? blockIdx.x : d == 1 ? blockIdx.y : blockIdx.z; }
__device__ inline int get_local_size(int d) { return d == 0 ? blockDim.x : d == 1 ? blockDim.y : blockDim.z; }
__device__ inline int get_num_groups(int d) { return d == 0 ? gridDim.x : d == 1 ? gridDim.y : gridDim.z; }
__device__ inline int get_global_id(int d) { return get_group_id(d) * get_local_size(d) + get_local_id(d); }
__device__ inline int get_global_size(int d) { return get_num_groups(d) * get_local_size(d); }
