// CPU device memory: a caching allocator. Blocks are 64-byte aligned (every
// SIMD width can use aligned loads) and rounded up to size classes (four per
// power of two, so at most 25% slack); freed blocks go to a per-class free
// list instead of back to the OS. A training step then reuses the same
// already-faulted pages every iteration instead of paying malloc and page
// faults for each intermediate (a fresh 64 MB output costs more in page faults
// than the add that fills it). emptyCache() returns the cache to the system.
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "../common/backend.h"

namespace tf {
namespace backend {
namespace {

// Beyond this many cached bytes, freed blocks go straight back to the system.
size_t cache_limit() {
  static size_t lim = [] {
    const char* e = std::getenv("TENSORFORGE_CPU_CACHE_MB");
    long v = e ? std::atol(e) : 2048;
    return (size_t)(v < 0 ? 0 : v) << 20;
  }();
  return lim;
}

size_t size_class(size_t n) {
  if (n <= 64) return 64;
  size_t p = 64;
  while (p * 2 < n) p *= 2;  // p < n <= 2p
  for (size_t q = p + p / 4; q <= 2 * p; q += p / 4)
    if (q >= n) return (q + 63) & ~(size_t)63;
  return 2 * p;
}

struct Cache {
  std::mutex m;
  std::unordered_map<size_t, std::vector<void*>> free;
  int64_t live = 0, cached = 0, peak = 0, allocs = 0;
};

Cache& cache() {
  // Leaked on purpose: blocks may be released by finalizers during exit.
  static Cache* c = new Cache();
  return *c;
}

void release_all(Cache& c) {
  for (auto& [sz, list] : c.free) {
    for (void* p : list) std::free(p);
    list.clear();
  }
  c.cached = 0;
}

}  // namespace

const char* device_name() { return "cpu"; }
const char* unavailable_reason() { return nullptr; }

void* alloc(size_t nbytes) {
  const size_t cls = size_class(nbytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> g(c.m);
    auto it = c.free.find(cls);
    if (it != c.free.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.cached -= (int64_t)cls;
      c.live += (int64_t)cls;
      if (c.live > c.peak) c.peak = c.live;
      c.allocs++;
      return p;
    }
  }
  void* p = std::aligned_alloc(64, cls);
  if (!p) {
    // Out of memory: give the cache back and try once more.
    std::lock_guard<std::mutex> g(c.m);
    release_all(c);
    p = std::aligned_alloc(64, cls);
    if (!p) return nullptr;
  }
  std::lock_guard<std::mutex> g(c.m);
  c.live += (int64_t)cls;
  if (c.live > c.peak) c.peak = c.live;
  c.allocs++;
  return p;
}

void release(void* p, size_t nbytes) {
  if (!p) return;
  const size_t cls = size_class(nbytes);
  Cache& c = cache();
  std::lock_guard<std::mutex> g(c.m);
  c.live -= (int64_t)cls;
  if ((size_t)c.cached + cls <= cache_limit()) {
    c.free[cls].push_back(p);
    c.cached += (int64_t)cls;
  } else {
    std::free(p);
  }
}

void copy_from_host(void* dst, const void* src, size_t n) { if (n) std::memcpy(dst, src, n); }
void copy_to_host(void* dst, const void* src, size_t n) { if (n) std::memcpy(dst, src, n); }

MemoryStats memory_stats() {
  Cache& c = cache();
  std::lock_guard<std::mutex> g(c.m);
  return {c.live, c.cached, c.peak, c.allocs};
}

void empty_cache() {
  Cache& c = cache();
  std::lock_guard<std::mutex> g(c.m);
  release_all(c);
}

}  // namespace backend
}  // namespace tf
