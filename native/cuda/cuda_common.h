// Shared by every CUDA kernel file: the runtime (real or emulated), the one
// kernel-launch helper, error checks, warp helpers and the pointwise engine.
//
// No file calls `kernel<<<...>>>` itself: launches go through tf::cuda::launch,
// so the same sources compile with nvcc and, under TF_CUDA_EMULATION, as plain
// C++ against emu/cuda_emu.h.
#pragma once
#ifdef TF_CUDA_EMULATION
#include "emu/cuda_emu.h"
#else
#include <cuda_runtime.h>
#endif

#include <cstdint>
#include <limits>
#include <tuple>
#include <utility>

#include "../common/backend.h"
#include "../common/functors.h"
#include "device.h"

namespace tf {
namespace cuda {

// Throws std::runtime_error naming the failed call (the CUDA addon is built
// with NODE_ADDON_API_CPP_EXCEPTIONS_ALL, so it reaches JS as an Error).
[[noreturn]] void fail(cudaError_t e, const char* what);
inline void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) fail(e, what);
}

// Pointwise launch shape: 128 threads, 4 elements each, grid-stride.
constexpr int kThreads = 128;
constexpr int kPerThread = 4;
// Grid-stride kernels never need more blocks than this. The emulator runs
// blocks one at a time, so it uses a tiny grid: the grid-stride loops are then
// exercised on every test instead of only at sizes no test reaches.
#ifdef TF_CUDA_EMULATION
constexpr int64_t kMaxBlocks = 4;
#else
constexpr int64_t kMaxBlocks = 65535;
#endif

inline unsigned grid_for(int64_t items, int64_t per_block) {
  int64_t b = (items + per_block - 1) / per_block;
  return (unsigned)(b < 1 ? 1 : (b > kMaxBlocks ? kMaxBlocks : b));
}

// The one launch helper. Arguments are converted to the kernel's parameter
// types here, once, so both builds see identical values.
template <class... P, class... A>
void launch(void (*kernel)(P...), dim3 grid, dim3 block, A&&... args) {
  if (grid.x == 0 || grid.y == 0 || grid.z == 0) return;
#ifdef TF_CUDA_EMULATION
  std::tuple<P...> params(std::forward<A>(args)...);
  tf_emu::launch(grid, block, [&] { std::apply(kernel, params); });
#else
  kernel<<<grid, block>>>(std::forward<A>(args)...);
  check(cudaGetLastError(), "kernel launch");
#endif
}

// A device temporary from the caching allocator (cheap to take and give back).
struct DeviceBuffer {
  void* p;
  size_t n;
  explicit DeviceBuffer(size_t bytes);
  ~DeviceBuffer() { backend::release(p, n); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};

template <class T> __host__ __device__ inline T dmin(T a, T b) { return a < b ? a : b; }
template <class T> __host__ __device__ inline T dmax(T a, T b) { return a < b ? b : a; }

// Sum over the 32 lanes of a warp; every lane gets the total.
template <class T>
__device__ inline T warp_sum(T v) {
  for (int d = 16; d > 0; d >>= 1) v += __shfl_xor_sync(0xffffffffu, v, d);
  return v;
}

// ---- Pointwise engine -------------------------------------------------------
// Dims are collapsed on the host (layout.h); the kernel then maps a flat index
// to one element offset per view. Ops are small structs holding typed,
// offset-adjusted pointers, called as op(flat_index, offsets).

template <int NV>
struct Indexer {
  int nd;
  int64_t shape[kMaxDims];
  int64_t strides[NV][kMaxDims];

  // All views share views[0]'s shape (broadcast inputs have zero strides).
  explicit Indexer(const View* const* views) {
    const int64_t* st[NV];
    for (int v = 0; v < NV; v++) st[v] = views[v]->strides;
    nd = collapse_dims(views[0]->ndim, views[0]->shape, NV, st, shape, strides);
  }
  int64_t numel() const {
    int64_t n = 1;
    for (int d = 0; d < nd; d++) n *= shape[d];
    return n;
  }
  __host__ __device__ inline void offsets(int64_t i, int64_t* off) const {
    for (int v = 0; v < NV; v++) off[v] = 0;
    // Not unrolled: nvcc would otherwise emit kMaxDims copies of a 64-bit
    // division per kernel, tripling build time for a loop that runs nd (~2-3) times.
#pragma unroll 1
    for (int d = nd - 1; d >= 0; d--) {
      const int64_t q = i / shape[d], r = i - q * shape[d];
      for (int v = 0; v < NV; v++) off[v] += r * strides[v][d];
      i = q;
    }
  }
};

// LINEAR: everything collapsed to one dim (contiguous, broadcast scalar or one
// uniform stride), so an offset is one multiply. Otherwise div/mod per dim.
template <int NV, bool LINEAR, class Op>
__global__ void __launch_bounds__(kThreads) k_pointwise(Indexer<NV> ix, int64_t n, Op op) {
  const int64_t step = (int64_t)gridDim.x * kThreads * kPerThread;
  for (int64_t base = (int64_t)blockIdx.x * kThreads * kPerThread + threadIdx.x; base < n; base += step) {
#pragma unroll
    for (int j = 0; j < kPerThread; j++) {
      const int64_t i = base + (int64_t)j * kThreads;  // coalesced: a warp touches 32 neighbours
      if (i < n) {
        int64_t off[NV];
        if (LINEAR) {
          for (int v = 0; v < NV; v++) off[v] = i * ix.strides[v][0];
        } else {
          ix.offsets(i, off);
        }
        op(i, off);
      }
    }
  }
}

template <int NV, class Op>
void pointwise(const View* const* views, const Op& op) {
  Indexer<NV> ix(views);
  const int64_t n = ix.numel();
  if (n == 0) return;
  const unsigned grid = grid_for(n, kThreads * kPerThread);
  if (ix.nd == 1) launch(k_pointwise<NV, true, Op>, grid, kThreads, ix, n, op);
  else launch(k_pointwise<NV, false, Op>, grid, kThreads, ix, n, op);
}

// A view with v's shape and all-zero strides: the index space for an operand
// that is a scalar (or absent) but must still occupy a slot of the iterator.
inline View zero_strides(const View& v) {
  View z = v;
  for (int d = 0; d < z.ndim; d++) z.strides[d] = 0;
  return z;
}

// out = f(a): the functor is the CPU's (common/functors.h).
template <class TO, class TA, class F>
struct Map1 {
  TO* o;
  const TA* a;
  F f;
  __device__ void operator()(int64_t, const int64_t* off) const { o[off[0]] = f(a[off[1]]); }
};
template <class TO, class TA, class F>
void map1(const View& out, const View& a, F f) {
  const View* vs[2] = {&out, &a};
  pointwise<2>(vs, Map1<TO, TA, F>{out.ptr<TO>(), a.ptr<TA>(), f});
}

// Index checking for gather/scatter/index_select/cross-entropy: a kernel
// records the first (row-major) position whose value is out of [0, limit) and
// is not `ignore`; the host then reads that one value back to build the same
// message as the CPU backend. Returns -1 when all are valid. This costs one
// small device->host copy (a synchronisation) per call, but keeps bad indices
// a catchable RangeError instead of a device-side assert that would poison the
// CUDA context for the rest of the process.
int64_t first_bad_index(const View& index, int64_t limit, int64_t ignore, int32_t* bad_value);

}  // namespace cuda
}  // namespace tf
