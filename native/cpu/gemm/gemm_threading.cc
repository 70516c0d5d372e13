// The ISA-neutral half of the GEMM: edge cases, thread count, tile grid and
// scratch memory. Compiled for baseline x86-64 (or arm64) only, so the
// std::function/thread machinery is never instantiated with AVX-512 flags.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../parallel.h"
#include "gemm_common.h"

namespace tf {
namespace cpu {
namespace gemm {
namespace {

// Below this many multiply-adds per thread, waking a pool thread (a few µs)
// costs more than it saves: 100x500x10 (500K) runs on one thread, 100x784x500
// (39M) on all of them.
constexpr double kMinFmaPerThread = 2.0 * 1024 * 1024;

int pack_mode_from_env() {
  const char* e = std::getenv("TENSORFORGE_GEMM_PACK");
  if (!e) return 0;
  if (!std::strcmp(e, "always")) return 1;
  if (!std::strcmp(e, "never")) return 2;
  return 0;
}

struct ScratchBuf {
  void* p = nullptr;
  size_t cap = 0;
  ~ScratchBuf() { std::free(p); }
};
thread_local ScratchBuf t_scratch[kNumSlots];

// Rows (or columns) [begin, end) of part `i` of `parts`, in whole blocks of
// `bs`, as evenly as the blocks allow.
inline int64_t part_begin(int64_t nblocks, int64_t parts, int64_t i, int64_t bs, int64_t limit) {
  int64_t b = (nblocks * i) / parts * bs;
  return b < limit ? b : limit;
}

// The epilogue on a finished sum v for column j, as the kernels apply it:
// + bias, then ReLU as max(0, v) (a NaN passes, as in the elementwise relu).
template <class T>
inline T epilogue(const Args<T>& g, int64_t j, T v) {
  if (g.bias) v += g.bias[j * g.bias_stride];
  if (g.relu && v < T(0)) v = T(0);
  return v;
}

template <class T>
void k_zero(const Args<T>& g) {
  // K == 0: C = (accumulate ? C : 0), then the epilogue, like any other K.
  for (int64_t i = 0; i < g.M; i++) {
    T* row = g.c + i * g.ldc;
    for (int64_t j = 0; j < g.N; j++) row[j] = epilogue(g, j, g.accumulate ? row[j] : T(0));
  }
}

// Each thread's share of K when K is split (below it, the sum costs more
// than the idle thread would have).
constexpr int64_t kMinKPerThread = 1024;

// Few output tiles over a long K (conv1's weight gradient: 32x10 over
// K = 67600): a tile grid leaves threads idle or unbalanced (3 tiles on 2
// threads run 2:1), so each thread takes a slice of K for the whole C, thread 0
// into C itself and the others into buffers, which are then summed into C
// before the epilogue. Results differ from the 1-thread ones only by rounding.
template <class T>
void k_split(const Impl<T>& impl, const Args<T>& g, int64_t nt) {
  const int64_t M = g.M, N = g.N, kc = (g.K + nt - 1) / nt;
  std::vector<T> part((size_t)((nt - 1) * M * N), T(0));
  parallel_for(nt, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; t++) {
      const int64_t k0 = std::min(g.K, t * kc), k1 = std::min(g.K, k0 + kc);
      if (k1 <= k0) continue;  // its buffer stays zero
      Args<T> s = g;
      s.K = k1 - k0;
      s.a = g.a + k0 * g.csa;
      s.b = g.b + k0 * g.rsb;
      s.bias = nullptr;
      s.relu = false;
      if (t > 0) s.c = part.data() + (t - 1) * M * N, s.ldc = N, s.accumulate = false;
      impl.tile(s, 0, M, 0, N);
    }
  });
  for (int64_t i = 0; i < M; i++) {
    T* row = g.c + i * g.ldc;
    for (int64_t j = 0; j < N; j++) {
      T v = row[j];
      for (int64_t t = 1; t < nt; t++) v += part[(size_t)(((t - 1) * M + i) * N + j)];
      row[j] = epilogue(g, j, v);
    }
  }
}

}  // namespace

void* scratch(int slot, size_t bytes) {
  ScratchBuf& s = t_scratch[slot];
  if (bytes > s.cap) {
    std::free(s.p);
    size_t cap = ((bytes + (bytes >> 2)) + 63) & ~size_t(63);  // grow by 25% to settle fast
    s.p = std::aligned_alloc(64, cap);
    if (!s.p) {
      s.cap = 0;
      throw std::bad_alloc();
    }
    s.cap = cap;
  }
  return s.p;
}

template <class T>
void run(const Impl<T>& impl, int64_t M, int64_t N, int64_t K, const T* a, int64_t rsa, int64_t csa, const T* b,
         int64_t rsb, int64_t csb, T* c, int64_t ldc, bool accumulate, const GemmEpilogue<T>* ep) {
  if (M <= 0 || N <= 0) return;
  static const int pack_mode = pack_mode_from_env();
  Args<T> g{M, N, K, a, rsa, csa, b, rsb, csb, c, ldc, accumulate,
            ep ? ep->bias : nullptr, ep ? ep->bias_stride : 0, ep && ep->act == 1, pack_mode};
  if (K <= 0) return k_zero(g);

  const int64_t mb = (M + impl.mr - 1) / impl.mr, nb = (N + impl.nr - 1) / impl.nr;
  double fmas = (double)M * (double)N * (double)K;
  int64_t nt = num_threads();
  if (fmas / kMinFmaPerThread < (double)nt) nt = (int64_t)(fmas / kMinFmaPerThread);
  if (nt > mb * nb) nt = mb * nb;
  if (nt <= 1) return impl.tile(g, 0, M, 0, N);
  if (mb * nb < 2 * nt && K >= kMinKPerThread * nt) return k_split(impl, g, nt);

  // Grid tm x tn == nt, never split over K (that would need a reduction).
  // Each thread packs the A rows and B columns of its own tile, so pick the
  // grid with the smallest tile perimeter: for 100x500 that splits N (every
  // thread reads A in place and packs half of B), for 784x500 it splits M.
  int64_t tm = 1, tn = nt;
  double best = 1e300;
  for (int64_t m = 1; m <= nt; m++) {
    if (nt % m || m > mb || nt / m > nb) continue;
    int64_t n = nt / m;
    double cost = (double)((mb + m - 1) / m * impl.mr) + (double)((nb + n - 1) / n * impl.nr);
    if (cost < best - 1e-9) best = cost, tm = m, tn = n;
  }
  if (best == 1e300) return impl.tile(g, 0, M, 0, N);  // nt prime and larger than mb and nb: rare; stay serial
  // On a shared machine one thread can be descheduled for a while, and with
  // one tile per thread the call then waits for it. When tiles cost nothing
  // extra to split (columns only, A read in place: each tile packs just its
  // own B columns), cut finer and let threads take tiles as they finish. A
  // packed A would be packed again by every tile (8 packs of a 2048x2048 A
  // instead of 2 took square 2048 from 286 to 171 GFLOP/s on 2 threads).
  if (tm == 1 && (a_rows_in_place(g, (int)impl.mr) || a_cols_in_place(g, (int)impl.mr))) {
    int64_t finer = nt * 4 < nb / 4 ? nt * 4 : nb / 4;
    if (finer > tn) tn = finer;
  }
  const int64_t ntiles = tm * tn;
  std::atomic<int64_t> next{0};
  parallel_for(nt, 1, [&](int64_t, int64_t) {
    for (int64_t t; (t = next.fetch_add(1)) < ntiles;) {
      int64_t ti = t / tn, tj = t % tn;
      int64_t m0 = part_begin(mb, tm, ti, impl.mr, M), m1 = part_begin(mb, tm, ti + 1, impl.mr, M);
      int64_t n0 = part_begin(nb, tn, tj, impl.nr, N), n1 = part_begin(nb, tn, tj + 1, impl.nr, N);
      if (ti == tm - 1) m1 = M;
      if (tj == tn - 1) n1 = N;
      if (m0 < m1 && n0 < n1) impl.tile(g, m0, m1, n0, n1);
    }
  });
}

template void run<float>(const Impl<float>&, int64_t, int64_t, int64_t, const float*, int64_t, int64_t, const float*,
                         int64_t, int64_t, float*, int64_t, bool, const GemmEpilogue<float>*);
template void run<double>(const Impl<double>&, int64_t, int64_t, int64_t, const double*, int64_t, int64_t,
                          const double*, int64_t, int64_t, double*, int64_t, bool, const GemmEpilogue<double>*);

}  // namespace gemm
}  // namespace cpu
}  // namespace tf
