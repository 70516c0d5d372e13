// CPU device memory: 64-byte aligned blocks (so every SIMD width can use
// aligned loads) with live/peak accounting reported by memoryStats().
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "../common/backend.h"

namespace tf {
namespace backend {
namespace {
std::atomic<int64_t> g_live{0}, g_peak{0}, g_allocs{0};
}

const char* device_name() { return "cpu"; }
const char* unavailable_reason() { return nullptr; }

void* alloc(size_t nbytes) {
  size_t rounded = ((nbytes + 63) / 64) * 64;
  if (rounded == 0) rounded = 64;
  void* p = std::aligned_alloc(64, rounded);
  if (!p) return nullptr;
  int64_t live = g_live.fetch_add((int64_t)nbytes) + (int64_t)nbytes;
  int64_t peak = g_peak.load();
  while (live > peak && !g_peak.compare_exchange_weak(peak, live)) {}
  g_allocs++;
  return p;
}

void release(void* p, size_t nbytes) {
  if (!p) return;
  std::free(p);
  g_live.fetch_sub((int64_t)nbytes);
}

void copy_from_host(void* dst, const void* src, size_t n) { if (n) std::memcpy(dst, src, n); }
void copy_to_host(void* dst, const void* src, size_t n) { if (n) std::memcpy(dst, src, n); }

MemoryStats memory_stats() { return {g_live.load(), 0, g_peak.load(), g_allocs.load()}; }
void empty_cache() {}

}  // namespace backend
}  // namespace tf
