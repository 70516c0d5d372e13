// A small CUDA emulator, so the kernels in native/cuda/*.cu compile with
// `g++ -std=c++20 -x c++ -DTF_CUDA_EMULATION` and run on a machine with no GPU.
//
// Model: the blocks of a launch run one after another; the threads of a block
// run as real std::threads (a team kept per block size, so launches do not
// create threads) that meet at __syncthreads() on a std::barrier. __shared__
// becomes a function-local static: blocks never overlap and launches are
// serialised, so a static is exactly "one copy per running block". Warp
// shuffles exchange values through per-warp slots between two warp barriers;
// atomics are std::atomic_ref. Device memory is host memory.
//
// Only what native/cuda uses is provided; anything else fails to compile,
// which is the point: the kernels must stay inside this subset.
#pragma once
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <type_traits>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static

struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

namespace tf_emu {
class Team;
// Per emulated thread. `linear` is the thread's index within its block.
struct ThreadCtx {
  Team* team = nullptr;
  unsigned linear = 0;
  unsigned shuffle_parity = 0;  // which of the two shuffle slot buffers is next
};
extern thread_local ThreadCtx ctx;

// Runs `body` once per thread for every block of the grid. Launches from
// different host threads are serialised (shared memory is process-wide).
void launch(dim3 grid, dim3 block, const std::function<void()>& body);
void syncthreads();
void syncwarp();
// Publishes this thread's 8-byte value to its warp and returns the value of
// lane `src` (or its own when src is outside the warp / partial last warp).
uint64_t exchange(uint64_t mine, int src_lane);
}  // namespace tf_emu

extern thread_local uint3 threadIdx;
extern thread_local uint3 blockIdx;
extern thread_local dim3 blockDim;
extern thread_local dim3 gridDim;

inline void __syncthreads() { tf_emu::syncthreads(); }
inline void __syncwarp(unsigned = 0xffffffffu) { tf_emu::syncwarp(); }
inline void __threadfence() { std::atomic_thread_fence(std::memory_order_seq_cst); }

namespace tf_emu {
template <class T>
inline T shfl_from(T v, int src_lane) {
  static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "shuffle of a type wider than 8 bytes");
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  bits = exchange(bits, src_lane);
  T r;
  std::memcpy(&r, &bits, sizeof(T));
  return r;
}
inline int lane_id() { return (int)(ctx.linear & 31u); }
}  // namespace tf_emu

// Shuffles: `width` segments the warp as in CUDA; lanes outside the segment
// (or outside a partial warp) get their own value back.
template <class T>
inline T __shfl_down_sync(unsigned, T v, unsigned delta, int width = 32) {
  int lane = tf_emu::lane_id(), in_seg = lane % width;
  return tf_emu::shfl_from(v, in_seg + (int)delta < width ? lane + (int)delta : lane);
}
template <class T>
inline T __shfl_xor_sync(unsigned, T v, int mask, int width = 32) {
  int lane = tf_emu::lane_id(), src = lane ^ mask;
  return tf_emu::shfl_from(v, src / width == lane / width ? src : lane);
}
template <class T>
inline T __shfl_sync(unsigned, T v, int src, int width = 32) {
  int lane = tf_emu::lane_id();
  return tf_emu::shfl_from(v, (lane / width) * width + (src % width));
}

// Atomics, returning the old value as CUDA does.
template <class T>
inline T atomicAdd(T* p, T v) {
  return std::atomic_ref<T>(*p).fetch_add(v);
}
template <class T>
inline T atomicCAS(T* p, T expected, T desired) {
  std::atomic_ref<T>(*p).compare_exchange_strong(expected, desired);
  return expected;
}
template <class T>
inline T atomicExch(T* p, T v) {
  return std::atomic_ref<T>(*p).exchange(v);
}
template <class T>
inline T atomicMin(T* p, T v) {
  std::atomic_ref<T> r(*p);
  T old = r.load();
  while (v < old && !r.compare_exchange_weak(old, v)) {}
  return old;
}
template <class T>
inline T atomicMax(T* p, T v) {
  std::atomic_ref<T> r(*p);
  T old = r.load();
  while (v > old && !r.compare_exchange_weak(old, v)) {}
  return old;
}

// ---- Runtime API: device memory is host memory, everything is synchronous.
typedef int cudaError_t;
enum : int { cudaSuccess = 0, cudaErrorMemoryAllocation = 2 };
enum cudaMemcpyKind { cudaMemcpyHostToHost, cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice, cudaMemcpyDefault };
enum cudaDeviceAttr { cudaDevAttrMultiProcessorCount = 16 };

inline cudaError_t cudaMalloc(void** p, size_t n) {
  // 256-byte alignment, as cudaMalloc guarantees.
  *p = std::aligned_alloc(256, ((n + 255) / 256) * 256);
  return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}
inline cudaError_t cudaFree(void* p) {
  std::free(p);
  return cudaSuccess;
}
inline cudaError_t cudaMemcpy(void* d, const void* s, size_t n, cudaMemcpyKind) {
  if (n) std::memmove(d, s, n);
  return cudaSuccess;
}
inline cudaError_t cudaMemset(void* d, int v, size_t n) {
  if (n) std::memset(d, v, n);
  return cudaSuccess;
}
inline cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
inline cudaError_t cudaGetLastError() { return cudaSuccess; }
inline cudaError_t cudaGetDeviceCount(int* n) {
  *n = 1;
  return cudaSuccess;
}
// Two "SMs": small enough that heuristics sized by the SM count (split-K)
// trigger at test sizes.
inline cudaError_t cudaDeviceGetAttribute(int* v, cudaDeviceAttr, int) {
  *v = 2;
  return cudaSuccess;
}
inline const char* cudaGetErrorString(cudaError_t e) { return e == cudaSuccess ? "no error" : "out of memory"; }
