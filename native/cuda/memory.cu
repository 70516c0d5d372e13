// CUDA device memory: a caching allocator in the style of PyTorch's, copies,
// and device discovery.
//
// cudaMalloc/cudaFree are slow and cudaFree synchronises the device, so freed
// blocks go to size-rounded free lists and are handed out again. This is safe
// without events because every kernel runs on the one (legacy default) stream:
// work that used a block is queued before any work that reuses it.
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "cuda_common.h"

namespace tf {
namespace cuda {

void fail(cudaError_t e, const char* what) {
  throw std::runtime_error(std::string("CUDA error ") + std::to_string((int)e) + " (" + cudaGetErrorString(e) +
                           ") in " + what);
}

namespace {

// Small requests round to 512 bytes, large ones to 2 MiB (PyTorch's sizes), so
// similar requests map to the same free list.
constexpr size_t kMinBlock = 512, kSmallLimit = (size_t)1 << 20, kLargeRound = (size_t)2 << 20;
size_t round_size(size_t n) {
  if (n <= kSmallLimit) return n < kMinBlock ? kMinBlock : (n + kMinBlock - 1) / kMinBlock * kMinBlock;
  return (n + kLargeRound - 1) / kLargeRound * kLargeRound;
}

struct Allocator {
  std::mutex mu;
  std::multimap<size_t, void*> free_blocks;  // block size -> cached block
  std::unordered_map<void*, size_t> live;     // handed-out block -> its size
  int64_t live_bytes = 0, cached_bytes = 0, peak_bytes = 0, allocs = 0;

  void* take(size_t nbytes) {
    const size_t want = round_size(nbytes);
    std::lock_guard<std::mutex> l(mu);
    void* p = nullptr;
    size_t got = want;
    // Best fit, but never a block more than twice the request (no splitting,
    // so a small tensor must not pin a huge block).
    auto it = free_blocks.lower_bound(want);
    if (it != free_blocks.end() && it->first <= 2 * want) {
      got = it->first;
      p = it->second;
      free_blocks.erase(it);
      cached_bytes -= (int64_t)got;
    } else {
      if (cudaMalloc(&p, want) != cudaSuccess) {
        // Out of memory: give every cached block back to the driver and retry.
        (void)cudaGetLastError();
        release_cached_locked();
        if (cudaMalloc(&p, want) != cudaSuccess) {
          (void)cudaGetLastError();
          return nullptr;
        }
      }
    }
    live[p] = got;
    live_bytes += (int64_t)nbytes;
    if (live_bytes > peak_bytes) peak_bytes = live_bytes;
    allocs++;
    return p;
  }

  void give_back(void* p, size_t nbytes) {
    std::lock_guard<std::mutex> l(mu);
    auto it = live.find(p);
    if (it == live.end()) return;
    free_blocks.emplace(it->second, p);
    cached_bytes += (int64_t)it->second;
    live_bytes -= (int64_t)nbytes;
    live.erase(it);
  }

  void release_cached_locked() {
    if (!free_blocks.empty()) cudaDeviceSynchronize();
    for (auto& [size, p] : free_blocks) cudaFree(p);
    free_blocks.clear();
    cached_bytes = 0;
  }
};

// Leaked on purpose: storage finalizers may run during process teardown,
// after static destructors would have destroyed it.
Allocator& allocator() {
  static Allocator* a = new Allocator();
  return *a;
}

std::string probe_device() {
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    const std::string detail = "cudaGetDeviceCount error " + std::to_string((int)e) + ": " + cudaGetErrorString(e);
    // 35 = cudaErrorInsufficientDriver (no driver, or one older than the
    // runtime), 100 = cudaErrorNoDevice.
    if (e == 35) return "CUDA driver not found (" + detail + ")";
    if (e == 100) return "no CUDA GPU found (" + detail + ")";
    return "CUDA unavailable (" + detail + ")";
  }
  if (n == 0) return "no CUDA GPU found (cudaGetDeviceCount returned 0)";
  return "";
}

const std::string& reason() {
  static const std::string r = probe_device();
  return r;
}

void require_device() {
  if (!reason().empty()) throw std::runtime_error(reason());
}

}  // namespace

DeviceBuffer::DeviceBuffer(size_t bytes) : p(backend::alloc(bytes)), n(bytes) {
  if (!p) throw std::runtime_error("CUDA: out of memory allocating a " + std::to_string(bytes) + "-byte temporary");
}

int device_count() {
  if (!reason().empty()) return 0;
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess ? n : 0;
}

bool is_emulated() {
#ifdef TF_CUDA_EMULATION
  return true;
#else
  return false;
#endif
}

void synchronize() {
  require_device();
  check(cudaDeviceSynchronize(), "synchronize");
}

int sm_count() {
  static const int n = [] {
    int v = 0;
    if (!reason().empty() || cudaDeviceGetAttribute(&v, cudaDevAttrMultiProcessorCount, 0) != cudaSuccess) return 1;
    return v > 0 ? v : 1;
  }();
  return n;
}

}  // namespace cuda

namespace backend {

const char* device_name() { return "cuda"; }
const char* unavailable_reason() { return cuda::reason().empty() ? nullptr : cuda::reason().c_str(); }

// A missing device throws (with the reason) rather than returning nullptr,
// which the binding would report as "out of memory".
void* alloc(size_t nbytes) {
  cuda::require_device();
  return cuda::allocator().take(nbytes);
}

void release(void* p, size_t nbytes) {
  if (p) cuda::allocator().give_back(p, nbytes);
}

void release_many(void* const* ps, const size_t* nbytes, size_t n) {
  for (size_t i = 0; i < n; i++) release(ps[i], nbytes[i]);
}

void copy_from_host(void* dst, const void* src, size_t n) {
  if (n) cuda::check(cudaMemcpy(dst, src, n, cudaMemcpyHostToDevice), "copy to device");
}

// Synchronise first so an error from an earlier asynchronous kernel is
// reported as that, not as a failed copy, before data leaves the device.
void copy_to_host(void* dst, const void* src, size_t n) {
  if (!n) return;
  cuda::check(cudaDeviceSynchronize(), "kernel execution (reported at device->host copy)");
  cuda::check(cudaMemcpy(dst, src, n, cudaMemcpyDeviceToHost), "copy to host");
}

MemoryStats memory_stats() {
  auto& a = cuda::allocator();
  std::lock_guard<std::mutex> l(a.mu);
  return {a.live_bytes, a.cached_bytes, a.peak_bytes, a.allocs};
}

void empty_cache() {
  auto& a = cuda::allocator();
  std::lock_guard<std::mutex> l(a.mu);
  a.release_cached_locked();
}

}  // namespace backend
}  // namespace tf
