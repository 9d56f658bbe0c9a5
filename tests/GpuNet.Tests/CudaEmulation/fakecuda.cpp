// A CPU stand-in for the CUDA driver API (libcuda) and NVRTC, for tests on machines without a GPU.
//
// It implements the calls GpuNet's CUDA accelerator makes, with the real C signatures, so the C# side runs unchanged:
// GPUNET_CUDA_DRIVER and GPUNET_NVRTC point at this one library. "Compiling" a program runs g++ on the composed CUDA
// source (the real prelude_cuda.h included) with an emulation header in front; the "cubin" is the resulting ELF shared
// object, loaded with dlopen. A launch runs every block in turn, each CUDA thread a fiber that yields at __syncthreads,
// so the kernels' CUDA dialect (indexing, shared memory, barriers) really executes.
//
// It also has cuBLAS's cublasSgemm_v2 (column-major, naive) for the bench's comparison to run here (GPUNET_CUBLAS).
//
// Like the driver it insists on discipline: memory calls and launches fail with CUDA_ERROR_INVALID_CONTEXT on a thread
// where no context is current, copies outside an allocation fail, blocks over 1024 threads fail, and new allocations
// are filled with NaN. Knobs for tests: FAKECUDA_MEMORY (bytes of device memory; CUDA_ERROR_OUT_OF_MEMORY past it),
// FAKECUDA_FAIL_KERNEL (a kernel whose launch "crashes": CUDA_ERROR_ILLEGAL_ADDRESS from the next call on, as on a GPU).
//
// Build: g++ -std=c++20 -O1 -shared -fPIC -pthread -o libfakecuda.so fakecuda.cpp -ldl
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>
#include <vector>
#include <dlfcn.h>
#include <unistd.h>

typedef int CUresult;
enum : int {
  OK = 0, INVALID_VALUE = 1, OUT_OF_MEMORY = 2, INVALID_DEVICE = 101, INVALID_IMAGE = 200, INVALID_CONTEXT = 201,
  NOT_FOUND = 500, ILLEGAL_ADDRESS = 700, LAUNCH_OUT_OF_RESOURCES = 701,
};

// What the "cubin" runs inside: blocks one after another; a block's CUDA threads are fibers (ucontext) on the launching
// thread, each running until it reaches __syncthreads or its end, round after round until all have ended, which is
// exactly the barrier's meaning. __shared__ is static: one block at a time uses it, and every module is its own copy.
static const char* EmulationHeader = R"EMU(
#include <cmath>
#include <type_traits>
#include <utility>
#include <vector>
#include <ucontext.h>
#define __device__
#define __global__
#define __shared__ static
struct emu_dim3 { unsigned x, y, z; };
static thread_local emu_dim3 threadIdx, blockIdx, blockDim, gridDim;
struct emu_fiber { ucontext_t context; emu_dim3 tid; bool done; };
static thread_local std::vector<emu_fiber> emu_fibers;
static thread_local std::vector<char> emu_stacks;
static thread_local ucontext_t emu_scheduler;
static thread_local int emu_current;
static thread_local void (*emu_body)(void**);
static thread_local void** emu_params;
inline void __syncthreads() { swapcontext(&emu_fibers[emu_current].context, &emu_scheduler); threadIdx = emu_fibers[emu_current].tid; }
static void emu_fiber_main() { emu_body(emu_params); emu_fibers[emu_current].done = true; }
using std::exp; using std::exp2; using std::log; using std::log2; using std::pow; using std::sqrt; using std::tanh;
using std::fabs; using std::fmax; using std::fmin; using std::fma; using std::floor; using std::ceil;
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
template <class... A, std::size_t... I>
void emu_invoke(void (*f)(A...), void** p, std::index_sequence<I...>) { f(*static_cast<std::decay_t<A>*>(p[I])...); }
template <class... A>
void emu_launch(void (*f)(A...), void** p, unsigned gx, unsigned gy, unsigned bx, unsigned by)
{
  static thread_local void (*kernel)(A...);
  kernel = f;
  emu_body = [](void** q) { emu_invoke(kernel, q, std::index_sequence_for<A...>{}); };
  emu_params = p;
  const size_t stack = 64 * 1024, n = (size_t)bx * by;
  if (emu_stacks.size() < n * stack) emu_stacks.resize(n * stack);
  emu_fibers.resize(n);
  blockDim = {bx, by, 1}; gridDim = {gx, gy, 1};
  for (unsigned j = 0; j < gy; j++)
    for (unsigned i = 0; i < gx; i++) {
      blockIdx = {i, j, 0};
      for (size_t t = 0; t < n; t++) {
        emu_fiber& fb = emu_fibers[t];
        fb.tid = {(unsigned)(t % bx), (unsigned)(t / bx), 0};
        fb.done = false;
        getcontext(&fb.context);
        fb.context.uc_stack.ss_sp = emu_stacks.data() + t * stack;
        fb.context.uc_stack.ss_size = stack;
        fb.context.uc_link = &emu_scheduler;
        makecontext(&fb.context, emu_fiber_main, 0);
      }
      for (bool live = true; live;) {
        live = false;
        for (size_t t = 0; t < n; t++) {
          if (emu_fibers[t].done) continue;
          emu_current = (int)t;
          threadIdx = emu_fibers[t].tid;
          swapcontext(&emu_scheduler, &emu_fibers[t].context);
          live |= !emu_fibers[t].done;
        }
      }
    }
}
)EMU";

namespace {
int primary_context_token;
void* const Context = &primary_context_token;
thread_local void* current = nullptr;
std::mutex mu;
std::map<uintptr_t, size_t> allocations;
size_t allocated = 0;
std::atomic<int> sticky{0};
std::string last_failing;

size_t memory_limit() {
  const char* m = getenv("FAKECUDA_MEMORY");
  return m ? strtoull(m, nullptr, 10) : (size_t)8 << 30;
}

CUresult guard() {
  if (int s = sticky.load()) return s;
  return current == Context ? OK : INVALID_CONTEXT;
}

bool inside(uintptr_t p, size_t n) {
  std::lock_guard<std::mutex> lock(mu);
  auto it = allocations.upper_bound(p);
  if (it == allocations.begin()) return false;
  --it;
  return p >= it->first && p + n <= it->first + it->second;
}

struct Module { void* handle; std::string path; };
typedef void (*Launcher)(void**, unsigned, unsigned, unsigned, unsigned);
struct Function { Launcher launch; std::string name; };

struct Program { std::string source, name, log; std::vector<char> image; };

size_t elf_size(const unsigned char* p) {
  if (memcmp(p, "\x7f" "ELF", 4) != 0 || p[4] != 2) return 0;   // ELF64 only
  uint64_t shoff; uint16_t shentsize, shnum;
  memcpy(&shoff, p + 0x28, 8); memcpy(&shentsize, p + 0x3A, 2); memcpy(&shnum, p + 0x3C, 2);
  return shoff + (uint64_t)shentsize * shnum;
}

std::string temp_dir() {
  static std::string dir = [] {
    char tmpl[] = "/tmp/fakecuda-XXXXXX";
    return std::string(mkdtemp(tmpl));
  }();
  return dir;
}

std::atomic<int> counter{0};
}  // namespace

extern "C" {

// ---- driver API ----
CUresult cuInit(unsigned) { return OK; }
CUresult cuDriverGetVersion(int* v) { *v = 13000; return OK; }
CUresult cuDeviceGetCount(int* c) { *c = 1; return OK; }
CUresult cuDeviceGet(int* d, int ordinal) { if (ordinal != 0) return INVALID_DEVICE; *d = 0; return OK; }
CUresult cuDeviceGetName(char* name, int len, int) { snprintf(name, len, "GpuNet CUDA emulation (CPU threads)"); return OK; }
CUresult cuDeviceTotalMem_v2(size_t* bytes, int) { *bytes = memory_limit(); return OK; }
CUresult cuDeviceGetAttribute(int* v, int attribute, int) {
  switch (attribute) {
    case 1: *v = 1024; break;          // max threads per block
    case 6: *v = 65535; break;         // max grid dim y
    case 8: *v = 48 * 1024; break;     // shared memory per block
    case 16: *v = 4; break;            // multiprocessors
    case 75: *v = 9; break;            // compute capability 9.0
    case 76: *v = 0; break;
    default: *v = 0;
  }
  return OK;
}
CUresult cuDevicePrimaryCtxRetain(void** ctx, int) { *ctx = Context; return OK; }
CUresult cuDevicePrimaryCtxRelease_v2(int) { return OK; }
CUresult cuCtxSetCurrent(void* ctx) { current = ctx; return OK; }

CUresult cuMemAlloc_v2(unsigned long long* ptr, size_t bytes) {
  if (CUresult e = guard()) return e;
  std::lock_guard<std::mutex> lock(mu);
  if (bytes == 0) return INVALID_VALUE;
  if (allocated + bytes > memory_limit()) return OUT_OF_MEMORY;
  void* m = malloc(bytes);
  if (!m) return OUT_OF_MEMORY;
  memset(m, 0xFF, bytes);   // NaN: reading memory nobody wrote shows up
  allocations[(uintptr_t)m] = bytes;
  allocated += bytes;
  *ptr = (uintptr_t)m;
  return OK;
}
CUresult cuMemFree_v2(unsigned long long ptr) {
  if (CUresult e = guard()) return e;
  std::lock_guard<std::mutex> lock(mu);
  auto it = allocations.find((uintptr_t)ptr);
  if (it == allocations.end()) return INVALID_VALUE;
  allocated -= it->second;
  allocations.erase(it);
  free((void*)ptr);
  return OK;
}
CUresult cuMemGetInfo_v2(size_t* free_bytes, size_t* total) {
  if (CUresult e = guard()) return e;
  std::lock_guard<std::mutex> lock(mu);
  *total = memory_limit();
  *free_bytes = *total - allocated;
  return OK;
}
CUresult cuMemcpyHtoDAsync_v2(unsigned long long dst, const void* src, size_t n, void*) {
  if (CUresult e = guard()) return e;
  if (!inside(dst, n)) return INVALID_VALUE;
  memcpy((void*)dst, src, n);
  return OK;
}
CUresult cuMemcpyDtoHAsync_v2(void* dst, unsigned long long src, size_t n, void*) {
  if (CUresult e = guard()) return e;
  if (!inside(src, n)) return INVALID_VALUE;
  memcpy(dst, (const void*)src, n);
  return OK;
}

CUresult cuModuleLoadData(void** module, const void* image) {
  if (CUresult e = guard()) return e;
  size_t size = elf_size((const unsigned char*)image);
  if (size == 0) return INVALID_IMAGE;
  std::string path = temp_dir() + "/module-" + std::to_string(counter++) + ".so";
  { std::ofstream f(path, std::ios::binary); f.write((const char*)image, size); }
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) return INVALID_IMAGE;
  *module = new Module{h, path};
  return OK;
}
CUresult cuModuleUnload(void* module) {
  auto* m = (Module*)module;
  dlclose(m->handle);
  unlink(m->path.c_str());
  delete m;
  return OK;
}
CUresult cuModuleGetFunction(void** function, void* module, const char* name) {
  if (CUresult e = guard()) return e;
  void* sym = dlsym(((Module*)module)->handle, (std::string(name) + "__emu").c_str());
  if (!sym) return NOT_FOUND;
  *function = new Function{(Launcher)sym, name};
  return OK;
}
CUresult cuFuncGetAttribute(int* v, int attribute, void*) { *v = attribute == 0 ? 1024 : 0; return OK; }

CUresult cuLaunchKernel(void* function, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned shared, void*, void** params, void** extra) {
  if (CUresult e = guard()) return e;
  auto* f = (Function*)function;
  if (gz != 1 || bz != 1 || shared != 0 || extra != nullptr || gx == 0 || gy == 0 || gy > 65535) return INVALID_VALUE;
  if (bx * by > 1024 || bx == 0 || by == 0) return LAUNCH_OUT_OF_RESOURCES;
  const char* fail = getenv("FAKECUDA_FAIL_KERNEL");
  if (fail && f->name == fail) { sticky = ILLEGAL_ADDRESS; return OK; }   // reported by a later call, as on a GPU
  f->launch(params, gx, gy, bx, by);
  return OK;
}

CUresult cuStreamCreate(void** stream, unsigned) { static int s; *stream = &s; return guard(); }
CUresult cuStreamDestroy_v2(void*) { return OK; }
CUresult cuStreamSynchronize(void*) { return guard(); }
CUresult cuEventCreate(void** evt, unsigned) { *evt = new std::chrono::steady_clock::time_point(); return guard(); }
CUresult cuEventRecord(void* evt, void*) { *(std::chrono::steady_clock::time_point*)evt = std::chrono::steady_clock::now(); return guard(); }
CUresult cuEventSynchronize(void*) { return guard(); }
CUresult cuEventElapsedTime(float* ms, void* start, void* end) {
  auto d = *(std::chrono::steady_clock::time_point*)end - *(std::chrono::steady_clock::time_point*)start;
  *ms = std::chrono::duration<float, std::milli>(d).count();
  return guard();
}
CUresult cuEventDestroy_v2(void* evt) { delete (std::chrono::steady_clock::time_point*)evt; return OK; }

CUresult cuGetErrorName(int result, const char** name) {
  switch (result) {
    case OK: *name = "CUDA_SUCCESS"; break;
    case INVALID_VALUE: *name = "CUDA_ERROR_INVALID_VALUE"; break;
    case OUT_OF_MEMORY: *name = "CUDA_ERROR_OUT_OF_MEMORY"; break;
    case INVALID_DEVICE: *name = "CUDA_ERROR_INVALID_DEVICE"; break;
    case INVALID_IMAGE: *name = "CUDA_ERROR_INVALID_IMAGE"; break;
    case INVALID_CONTEXT: *name = "CUDA_ERROR_INVALID_CONTEXT"; break;
    case NOT_FOUND: *name = "CUDA_ERROR_NOT_FOUND"; break;
    case ILLEGAL_ADDRESS: *name = "CUDA_ERROR_ILLEGAL_ADDRESS"; break;
    case LAUNCH_OUT_OF_RESOURCES: *name = "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"; break;
    default: *name = nullptr; return INVALID_VALUE;
  }
  return OK;
}
CUresult cuGetErrorString(int result, const char** text) {
  *text = result == ILLEGAL_ADDRESS ? "an illegal memory access was encountered" : "(emulated)";
  return OK;
}

// ---- cuBLAS (the bench's comparison): plain column-major SGEMM, no transposes ----
int cublasCreate_v2(void** handle) { static int h; *handle = &h; return 0; }
int cublasDestroy_v2(void*) { return 0; }
int cublasSetMathMode(void*, int) { return 0; }
int cublasSetStream_v2(void*, void*) { return 0; }
int cublasSgemm_v2(void*, int ta, int tb, int m, int n, int k, const float* alpha, const float* a, int lda,
                   const float* b, int ldb, const float* beta, float* c, int ldc) {
  if (ta != 0 || tb != 0 || guard() != OK) return 7;   // CUBLAS_STATUS_INVALID_VALUE
  for (int j = 0; j < n; j++)
    for (int i = 0; i < m; i++) {
      double s = 0;
      for (int p = 0; p < k; p++) s += (double)a[i + (size_t)p * lda] * b[p + (size_t)j * ldb];
      c[i + (size_t)j * ldc] = (float)(*alpha * s + (*beta == 0 ? 0 : *beta * c[i + (size_t)j * ldc]));
    }
  return 0;
}

// ---- NVRTC ----
int nvrtcVersion(int* major, int* minor) { *major = 13; *minor = 0; return 0; }
int nvrtcGetNumSupportedArchs(int* n) { *n = 5; return 0; }
int nvrtcGetSupportedArchs(int* archs) { int a[] = {75, 80, 86, 89, 90}; memcpy(archs, a, sizeof a); return 0; }
int nvrtcCreateProgram(void** program, const char* source, const char* name, int, const char**, const char**) {
  *program = new Program{source, name ? name : "program", "", {}};
  return 0;
}
int nvrtcCompileProgram(void* program, int count, const char** options) {
  auto* p = (Program*)program;
  bool arch = false;
  for (int i = 0; i < count; i++) arch |= strcmp(options[i], "--gpu-architecture=sm_90") == 0;
  if (!arch) { p->log = "fakecuda: expected --gpu-architecture=sm_90 for a compute capability 9.0 device"; return 7; }
  // one launcher per __kernel, as the emulation calls it
  std::ostringstream src;
  src << p->source << "\n";
  std::regex kernel(R"(__kernel\s+(?:REQD_WORK_GROUP_SIZE\([^)]*\)\s+)?void\s+(\w+))");
  for (std::sregex_iterator it(p->source.begin(), p->source.end(), kernel), end; it != end; ++it)
    src << "extern \"C\" void " << (*it)[1] << "__emu(void** p, unsigned gx, unsigned gy, unsigned bx, unsigned by) { emu_launch(&"
        << (*it)[1] << ", p, gx, gy, bx, by); }\n";
  std::string base = temp_dir() + "/program-" + std::to_string(counter++);
  { std::ofstream f(base + ".h"); f << EmulationHeader; }
  { std::ofstream f(base + ".cpp"); f << src.str(); }
  std::string cmd = "g++ -std=c++20 -O1 -shared -fPIC -pthread -w -include " + base + ".h " + base + ".cpp -o " + base + ".so 2> " + base + ".log";
  int status = system(cmd.c_str());
  std::ifstream log(base + ".log");
  p->log = std::string(std::istreambuf_iterator<char>(log), {});
  if (status != 0) return 6;   // NVRTC_ERROR_COMPILATION
  std::ifstream so(base + ".so", std::ios::binary);
  p->image.assign(std::istreambuf_iterator<char>(so), {});
  unlink((base + ".so").c_str()); unlink((base + ".cpp").c_str()); unlink((base + ".h").c_str()); unlink((base + ".log").c_str());
  return 0;
}
int nvrtcGetProgramLogSize(void* program, size_t* n) { *n = ((Program*)program)->log.size() + 1; return 0; }
int nvrtcGetProgramLog(void* program, char* log) { strcpy(log, ((Program*)program)->log.c_str()); return 0; }
int nvrtcGetCUBINSize(void* program, size_t* n) { *n = ((Program*)program)->image.size(); return 0; }
int nvrtcGetCUBIN(void* program, char* cubin) { auto& i = ((Program*)program)->image; memcpy(cubin, i.data(), i.size()); return 0; }
int nvrtcGetPTXSize(void*, size_t*) { return 5; }   // NVRTC_ERROR_INVALID_INPUT: the emulation makes cubins only
int nvrtcGetPTX(void*, char*) { return 5; }
int nvrtcDestroyProgram(void** program) { delete (Program*)*program; *program = nullptr; return 0; }
const char* nvrtcGetErrorString(int result) {
  switch (result) {
    case 0: return "NVRTC_SUCCESS";
    case 5: return "NVRTC_ERROR_INVALID_INPUT";
    case 6: return "NVRTC_ERROR_COMPILATION";
    case 7: return "NVRTC_ERROR_BUILTIN_OPERATION_FAILURE";
    default: return "NVRTC_ERROR_UNKNOWN";
  }
}
}
