// Prelude for OpenCL drivers: the kernels are OpenCL C 1.2 already, so this only names the portability macros
// that prelude_cuda.h maps to CUDA for NVRTC.
#define DEVICE_FUNC
#define REQD_WORK_GROUP_SIZE(x, y, z) __attribute__((reqd_work_group_size(x, y, z)))
#define LOCAL_PTR __local
