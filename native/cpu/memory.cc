// CPU device memory: a caching allocator. Blocks are 64-byte aligned (every
// SIMD width can use aligned loads) and rounded up to size classes (four per
// power of two, so at most 25% slack); freed blocks go to a per-class free
// list instead of back to the OS. A training step then reuses the same
// already-faulted pages every iteration instead of paying malloc and page
// faults for each intermediate (a fresh 64 MB output costs more in page faults
// than the add that fills it). emptyCache() returns the cache to the system.
#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "../common/backend.h"
#include "../common/spinlock.h"

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

// Size classes: 64 bytes, then four per power of two, rounded to 64 bytes.
// Returns the class size and sets *index, the class's free list: a direct
// index (an unordered_map lookup, with its division, ran on every small op).
constexpr int kNumClasses = 4 * 64;
size_t round_class(size_t n, int* index) {
  if (n <= 64) {
    *index = 0;
    return 64;
  }
  const int lg = 63 - __builtin_clzll(n - 1);  // p = 2^lg < n <= 2p
  const size_t p = (size_t)1 << lg, quarter = p / 4;
  const size_t j = (n - p + quarter - 1) / quarter;  // 1..4
  *index = 4 * (lg - 6) + (int)j;
  return (p + j * quarter + 63) & ~(size_t)63;
}
// Below 256 bytes several quarters round to the same size; a second pass
// gives each size one index, so equal blocks share one free list.
size_t size_class(size_t n, int* index) { return round_class(round_class(n, index), index); }

struct Cache {
  SpinLock m;
  std::vector<void*> free[kNumClasses];
  int64_t live = 0, cached = 0, peak = 0, allocs = 0;
};

Cache& cache() {
  // Leaked on purpose: blocks may be released by finalizers during exit.
  static Cache* c = new Cache();
  return *c;
}

void release_all(Cache& c) {
  for (auto& list : c.free) {
    for (void* p : list) std::free(p);
    list.clear();
  }
  c.cached = 0;
}

// Blocks of 4 MB and more are 2 MB aligned and advised onto transparent huge
// pages: where THP runs in madvise mode (Debian's default) nothing else gets
// them, and with 4 KB pages a GEMM walking rows 8 KB apart (square 2048) or
// conv columns 48 KB apart touches a new page, and may miss the TLB, per row.
// Square 2048 on 2 threads, two addons interleaved in one process: +3-4%.
constexpr size_t kHugePage = (size_t)2 << 20, kHugeMin = (size_t)4 << 20;
void* alloc_block(size_t bytes) {
  if (bytes < kHugeMin) return std::aligned_alloc(64, bytes);
  // posix_memalign, not aligned_alloc: the size need not be a multiple of the
  // alignment (ASan's aligned_alloc enforces C11's rule and returns null).
  void* p = nullptr;
  if (posix_memalign(&p, kHugePage, bytes) != 0) return nullptr;
  madvise(p, bytes, MADV_HUGEPAGE);
  return p;
}

}  // namespace

const char* device_name() { return "cpu"; }
const char* unavailable_reason() { return nullptr; }

void* alloc(size_t nbytes) {
  int index;
  const size_t cls = size_class(nbytes, &index);
  Cache& c = cache();
  {
    std::lock_guard<SpinLock> g(c.m);
    std::vector<void*>& list = c.free[index];
    if (!list.empty()) {
      void* p = list.back();
      list.pop_back();
      c.cached -= (int64_t)cls;
      c.live += (int64_t)cls;
      if (c.live > c.peak) c.peak = c.live;
      c.allocs++;
      return p;
    }
  }
  void* p = alloc_block(cls);
  if (!p) {
    // Out of memory: give the cache back and try once more.
    std::lock_guard<SpinLock> g(c.m);
    release_all(c);
    p = alloc_block(cls);
    if (!p) return nullptr;
  }
  std::lock_guard<SpinLock> g(c.m);
  c.live += (int64_t)cls;
  if (c.live > c.peak) c.peak = c.live;
  c.allocs++;
  return p;
}

void release_many(void* const* ps, const size_t* nbytes, size_t n) {
  Cache& c = cache();
  std::lock_guard<SpinLock> g(c.m);
  for (size_t i = 0; i < n; i++) {
    if (!ps[i]) continue;
    int index;
    const size_t cls = size_class(nbytes[i], &index);
    c.live -= (int64_t)cls;
    if ((size_t)c.cached + cls <= cache_limit()) {
      c.free[index].push_back(ps[i]);
      c.cached += (int64_t)cls;
    } else {
      std::free(ps[i]);
    }
  }
}

void release(void* p, size_t nbytes) { release_many(&p, &nbytes, 1); }

void copy_from_host(void* dst, const void* src, size_t n) { if (n) std::memcpy(dst, src, n); }
void copy_to_host(void* dst, const void* src, size_t n) { if (n) std::memcpy(dst, src, n); }

MemoryStats memory_stats() {
  Cache& c = cache();
  std::lock_guard<SpinLock> g(c.m);
  return {c.live, c.cached, c.peak, c.allocs};
}

void empty_cache() {
  Cache& c = cache();
  std::lock_guard<SpinLock> g(c.m);
  release_all(c);
}

}  // namespace backend
}  // namespace tf
