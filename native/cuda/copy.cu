// where, fill, cast and random on CUDA (split from binary.cu so the two
// heaviest nvcc jobs build in parallel). Random numbers come from
// common/philox.h, shared with the CPU, so both devices draw the same stream.
#include "cuda_common.h"  // first: under emulation it defines __host__/__device__
#include "../common/philox.h"

namespace tf {
namespace backend {
namespace {

template <class T>
struct WhereOp {
  T* o;
  const uint8_t* c;
  const T* a;
  const T* b;
  T as, bs;
  __device__ void operator()(int64_t, const int64_t* off) const {
    o[off[0]] = c[off[1]] ? (a ? a[off[2]] : as) : (b ? b[off[3]] : bs);
  }
};
struct WhereK {
  template <class T>
  static void run(const View& out, const View& cond, const View* a, double as, const View* b, double bs) {
    const View az = a ? *a : cuda::zero_strides(out), bz = b ? *b : cuda::zero_strides(out);
    const View* vs[4] = {&out, &cond, &az, &bz};
    cuda::pointwise<4>(vs, WhereOp<T>{out.ptr<T>(), cond.ptr<uint8_t>(), a ? a->ptr<T>() : nullptr,
                                      b ? b->ptr<T>() : nullptr, (T)as, (T)bs});
  }
};

template <class T>
struct FillOp {
  T* o;
  T v;
  __device__ void operator()(int64_t, const int64_t* off) const { o[off[0]] = v; }
};
struct FillK {
  template <class T> static void run(const View& out, double v) {
    const View* vs[1] = {&out};
    cuda::pointwise<1>(vs, FillOp<T>{out.ptr<T>(), (T)v});
  }
};

template <class TO, class TI>
struct CastF {
  __host__ __device__ TO operator()(TI x) const {
    if constexpr (std::is_same<TO, uint8_t>::value) return (TO)(x != TI(0));
    else return (TO)x;
  }
};
template <class TO>
struct CastFrom {
  template <class TI> static void run(const View& out, const View& a) { cuda::map1<TO, TI>(out, a, CastF<TO, TI>{}); }
};
struct CastK {
  template <class TO> static void run(const View& out, const View& a) { TF_DISPATCH_ALL(a.dtype, CastFrom<TO>, out, a); }
};

// `out` is contiguous (the binding checks), so the flat index is the element
// number in the Philox stream, exactly as on the CPU.
template <class T>
struct RandomOp {
  T* o;
  int kind;
  uint64_t seed, offset;
  double p0, p1;
  __device__ void operator()(int64_t i, const int64_t* off) const {
    o[off[0]] = (T)rand_value((RandKind)kind, seed, offset, (uint64_t)i, p0, p1);
  }
};
struct RandomK {
  template <class T> static void run(const View& out, int kind, uint64_t seed, uint64_t offset, double p0, double p1) {
    const View* vs[1] = {&out};
    cuda::pointwise<1>(vs, RandomOp<T>{out.ptr<T>(), kind, seed, offset, p0, p1});
  }
};

}  // namespace

void where(const View& out, const View& cond, const View* a, double as, const View* b, double bs) {
  TF_DISPATCH_ALL(out.dtype, WhereK, out, cond, a, as, b, bs);
}

void fill(const View& out, double value) { TF_DISPATCH_ALL(out.dtype, FillK, out, value); }

void cast(const View& out, const View& a) { TF_DISPATCH_ALL(out.dtype, CastK, out, a); }

void random(const View& out, int kind, uint64_t seed, uint64_t offset, double p0, double p1) {
  TF_DISPATCH_ALL(out.dtype, RandomK, out, kind, seed, offset, p0, p1);
}

}  // namespace backend
}  // namespace tf
