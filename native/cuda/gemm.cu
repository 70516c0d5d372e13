// Batched GEMM on CUDA (no cuBLAS): out[b] = a[b] @ b[b] (+ bias, relu).
//
// Block tiling after Boehm's SGEMM worklog: a 64x64 output tile per block of
// 128 threads, each thread holding an 8x4 register tile; the K loop stages
// 8-deep slices of A and B through two shared-memory buffers, loading the next
// slice into registers while the current one is multiplied (one barrier per
// slice). Every load is bounds-checked and zero-filled, so no size needs to be
// a multiple of the tile, and operands are read through their strides, so a
// transposed operand costs no copy (the loader walks along whichever of its
// strides is 1, keeping global reads coalesced).
//
// Split-K: when the output has too few tiles to occupy the GPU but K is long
// (a weight gradient X^T.dY), K is cut into chunks whose partial products are
// atomically added into a zeroed output; the epilogue then runs as a pass.
#include <cmath>

#include "cuda_common.h"

namespace tf {
namespace backend {
namespace {

constexpr int BM = 64, BN = 64, BK = 8, TM = 8, TN = 4;
constexpr int kGemmThreads = (BM / TM) * (BN / TN);  // 128
constexpr int kLoads = BM * BK / kGemmThreads;       // elements of A (and of B) each thread stages: 4
static_assert(BM * BK == BN * BK && kLoads * kGemmThreads == BM * BK, "tile shape");

struct GemmArgs {
  int64_t M, N, K, batch;
  int64_t sab, sam, sak;  // a strides: batch, row (m), column (k)
  int64_t sbb, sbk, sbn;  // b strides: batch, row (k), column (n)
  int64_t kchunk;         // K per split (a multiple of BK); K itself without split-K
  int splits;
  const void* bias;       // per column (stride bias_s), applied in-kernel only without split-K
  int64_t bias_s;
  int act;
};

template <class T>
__global__ void __launch_bounds__(kGemmThreads) k_gemm(const T* A, const T* B, T* C, GemmArgs g) {
  __shared__ T As[2][BK][BM];  // A slice, stored k-major so a thread's 8 rows are contiguous
  __shared__ T Bs[2][BK][BN];
  const int tid = threadIdx.x, ty = tid / (BN / TN), tx = tid % (BN / TN);
  const int64_t m0 = (int64_t)blockIdx.y * BM, n0 = (int64_t)blockIdx.x * BN;
  const bool a_k_contig = g.sak == 1, b_n_contig = g.sbn == 1 || g.sbk != 1;

  // Uniform over the block (it depends only on blockIdx), so barriers inside are safe.
  for (int64_t z = blockIdx.z; z < g.batch * g.splits; z += gridDim.z) {
    const int64_t bi = z / g.splits, kbeg = (z % g.splits) * g.kchunk;
    const int64_t kend = cuda::dmin<int64_t>(kbeg + g.kchunk, g.K);
    const T* a = A + bi * g.sab;
    const T* b = B + bi * g.sbb;

    // Tile coordinates of the r-th element this thread stages. Consecutive
    // threads take consecutive addresses along each operand's unit stride.
    auto coords = [&](int r, int& am, int& ak, int& bk, int& bn) {
      const int e = tid + r * kGemmThreads;
      am = a_k_contig ? e / BK : e % BM;
      ak = a_k_contig ? e % BK : e / BM;
      bk = b_n_contig ? e / BN : e % BK;
      bn = b_n_contig ? e % BN : e / BK;
    };
    // Stage the slice starting at k0 into registers (zero outside the matrix).
    T ra[kLoads], rb[kLoads];
    auto load = [&](int64_t k0) {
#pragma unroll
      for (int r = 0; r < kLoads; r++) {
        int am, ak, bk, bn;
        coords(r, am, ak, bk, bn);
        const int64_t gm = m0 + am, gk = k0 + ak, hk = k0 + bk, gn = n0 + bn;
        ra[r] = (gm < g.M && gk < kend) ? a[gm * g.sam + gk * g.sak] : T(0);
        rb[r] = (hk < kend && gn < g.N) ? b[hk * g.sbk + gn * g.sbn] : T(0);
      }
    };
    auto store = [&](int buf) {
#pragma unroll
      for (int r = 0; r < kLoads; r++) {
        int am, ak, bk, bn;
        coords(r, am, ak, bk, bn);
        As[buf][ak][am] = ra[r];
        Bs[buf][bk][bn] = rb[r];
      }
    };

    T acc[TM][TN];
#pragma unroll
    for (int i = 0; i < TM; i++)
#pragma unroll
      for (int j = 0; j < TN; j++) acc[i][j] = T(0);

    load(kbeg);
    store(0);
    __syncthreads();
    int cur = 0;
    for (int64_t k0 = kbeg; k0 < kend; k0 += BK) {
      const bool more = k0 + BK < kend;
      if (more) load(k0 + BK);  // global loads in flight while this slice is used
#pragma unroll
      for (int k = 0; k < BK; k++) {
        T af[TM], bf[TN];
#pragma unroll
        for (int i = 0; i < TM; i++) af[i] = As[cur][k][ty * TM + i];
#pragma unroll
        for (int j = 0; j < TN; j++) bf[j] = Bs[cur][k][tx * TN + j];
#pragma unroll
        for (int i = 0; i < TM; i++)
#pragma unroll
          for (int j = 0; j < TN; j++) acc[i][j] += af[i] * bf[j];
      }
      // The other buffer was last read before the previous barrier, so it
      // can be refilled now; one barrier per slice.
      if (more) store(cur ^ 1);
      __syncthreads();
      cur ^= 1;
    }

    T* c = C + bi * g.M * g.N;
    const T* bias = (const T*)g.bias;
#pragma unroll
    for (int i = 0; i < TM; i++) {
      const int64_t gm = m0 + ty * TM + i;
      if (gm >= g.M) continue;
#pragma unroll
      for (int j = 0; j < TN; j++) {
        const int64_t gn = n0 + tx * TN + j;
        if (gn >= g.N) continue;
        if (g.splits > 1) {
          atomicAdd(c + gm * g.N + gn, acc[i][j]);
        } else {
          T v = acc[i][j];
          if (bias) v += bias[gn * g.bias_s];
          if (g.act == 1) v = v > T(0) ? v : T(0);
          c[gm * g.N + gn] = v;
        }
      }
    }
  }
}

// The split-K epilogue as a pointwise pass over the contiguous output.
template <class T>
struct BiasActOp {
  T* o;
  const T* bias;
  int64_t N, bias_s;
  int act;
  __device__ void operator()(int64_t i, const int64_t* off) const {
    T v = o[off[0]];
    if (bias) v += bias[(i % N) * bias_s];
    if (act == 1) v = v > T(0) ? v : T(0);
    o[off[0]] = v;
  }
};

// Splits K only when the tiles alone leave most SMs idle and each chunk still
// holds a long run of K (>= 128); at most 16 chunks.
int choose_splits(int64_t tiles, int64_t K) {
  const int64_t target = 4 * (int64_t)cuda::sm_count();
  if (K < 512 || tiles >= target) return 1;
  int64_t s = target / tiles;
  s = s < K / 128 ? s : K / 128;
  return (int)(s < 1 ? 1 : (s > 16 ? 16 : s));
}

struct MatmulK {
  template <class T> static void run(const View& out, const View& a, const View& b, const View* bias, int act) {
    GemmArgs g;
    g.batch = out.shape[0];
    g.M = out.shape[1];
    g.N = out.shape[2];
    g.K = a.shape[2];
    g.sab = a.strides[0]; g.sam = a.strides[1]; g.sak = a.strides[2];
    g.sbb = b.strides[0]; g.sbk = b.strides[1]; g.sbn = b.strides[2];
    g.bias = bias ? bias->ptr<T>() : nullptr;
    g.bias_s = bias ? bias->strides[0] : 0;
    g.act = act;
    if (g.batch == 0 || g.M == 0 || g.N == 0) return;
    const int64_t tn = (g.N + BN - 1) / BN, tm = (g.M + BM - 1) / BM;
    g.splits = choose_splits(tn * tm * g.batch, g.K);
    g.kchunk = g.splits > 1 ? ((g.K + g.splits - 1) / g.splits + BK - 1) / BK * BK : (g.K > 0 ? g.K : 1);
    g.splits = g.splits > 1 ? (int)((g.K + g.kchunk - 1) / g.kchunk) : 1;  // rounding may leave fewer chunks
    const bool zero_first = g.splits > 1 || g.K == 0;
    if (zero_first) cuda::check(cudaMemset(out.ptr<T>(), 0, (size_t)out.numel() * sizeof(T)), "matmul");
    if (g.K > 0) {
      const int64_t z = g.batch * g.splits;
      const dim3 grid((unsigned)tn, (unsigned)tm, (unsigned)(z < 65535 ? z : 65535));
      cuda::launch(k_gemm<T>, grid, kGemmThreads, a.ptr<T>(), b.ptr<T>(), out.ptr<T>(), g);
    }
    if (zero_first && (bias || act)) {
      const View* vs[1] = {&out};
      cuda::pointwise<1>(vs, BiasActOp<T>{out.ptr<T>(), bias ? bias->ptr<T>() : nullptr, g.N, g.bias_s, act});
    }
  }
};

}  // namespace

void matmul(const View& out, const View& a, const View& b, const View* bias, int act) {
  TF_DISPATCH_FLOAT(out.dtype, MatmulK, out, a, b, bias, act);
}

}  // namespace backend
}  // namespace tf
