// gather / scatterAdd / indexSelect on CUDA, all on the pointwise engine: each
// is an elementwise walk over one shape in which the indexed operand gets a
// zero stride along `dim` and the index value supplies that coordinate.
#include <string>

#include "cuda_common.h"
#include "dispatch.h"

namespace tf {
namespace cuda {
namespace {

struct CheckIndexOp {
  const int32_t* p;
  int64_t limit, ignore;
  unsigned long long* first;
  __device__ void operator()(int64_t i, const int64_t* off) const {
    const int64_t v = p[off[0]];
    if (v != ignore && (v < 0 || v >= limit)) atomicMin(first, (unsigned long long)i);
  }
};

}  // namespace

int64_t first_bad_index(const View& index, int64_t limit, int64_t ignore, int32_t* bad_value) {
  if (index.numel() == 0) return -1;
  DeviceBuffer flag(sizeof(unsigned long long));
  check(cudaMemset(flag.p, 0xff, sizeof(unsigned long long)), "index check");
  const View* vs[1] = {&index};
  // The engine's flat index is the row-major position: collapsing dims keeps order.
  pointwise<1>(vs, CheckIndexOp{index.ptr<int32_t>(), limit, ignore, (unsigned long long*)flag.p});
  unsigned long long first = 0;
  backend::copy_to_host(&first, flag.p, sizeof first);
  if (first == ~0ull) return -1;
  int64_t off = 0, rem = (int64_t)first;
  for (int d = index.ndim - 1; d >= 0; d--) {
    off += (rem % index.shape[d]) * index.strides[d];
    rem /= index.shape[d];
  }
  backend::copy_to_host(bad_value, index.ptr<int32_t>() + off, sizeof(int32_t));
  return (int64_t)first;
}

}  // namespace cuda

namespace backend {
namespace {

void check_indices(const char* op, const View& index, int64_t limit) {
  int32_t bad = 0;
  // No int32 equals INT64_MIN, so nothing is ignored.
  if (cuda::first_bad_index(index, limit, INT64_MIN, &bad) >= 0)
    throw Error(std::string(op) + ": index " + std::to_string(bad) + " is out of range for a dimension of size " +
                std::to_string(limit));
}

// v with a zero stride along dim: the indexed operand's base walk.
View without_dim(const View& v, int dim) {
  View z = v;
  z.strides[dim] = 0;
  return z;
}

template <class T>
struct GatherOp {  // views: out, index (out's shape), source without dim
  T* o;
  const int32_t* ix;
  const T* a;
  int64_t dstride;
  __device__ void operator()(int64_t, const int64_t* off) const { o[off[0]] = a[off[2] + (int64_t)ix[off[1]] * dstride]; }
};
struct GatherK {
  // For indexSelect, `index` is the 1-D index spread over out's shape (stride
  // only along dim), which turns it into a gather.
  template <class T> static void run(const View& out, const View& a, const View& index, int dim) {
    const View a0 = without_dim(a, dim);
    const View* vs[3] = {&out, &index, &a0};
    cuda::pointwise<3>(vs, GatherOp<T>{out.ptr<T>(), index.ptr<int32_t>(), a.ptr<T>(), a.strides[dim]});
  }
};

template <class T>
struct ScatterAddOp {  // views: index, src, out without dim
  T* o;
  const int32_t* ix;
  const T* s;
  int64_t dstride;
  __device__ void operator()(int64_t, const int64_t* off) const { atomicAdd(o + off[2] + (int64_t)ix[off[0]] * dstride, s[off[1]]); }
};
struct ScatterAddK {
  template <class T> static void run(const View& out, const View& index, const View& src, int dim) {
    const View o0 = without_dim(out, dim);
    const View* vs[3] = {&index, &src, &o0};
    cuda::pointwise<3>(vs, ScatterAddOp<T>{out.ptr<T>(), index.ptr<int32_t>(), src.ptr<T>(), out.strides[dim]});
  }
};

}  // namespace

void gather(const View& out, const View& a, const View& index, int dim) {
  check_indices("gather", index, a.shape[dim]);
  TF_DISPATCH_ALL(a.dtype, GatherK, out, a, index, dim);
}

// Atomic adds: colliding indices are summed in an unspecified order (floats
// may differ from the CPU's serial order in the last bits).
void scatter_add(const View& out, const View& index, const View& src, int dim) {
  check_indices("scatterAdd", index, out.shape[dim]);
  TF_CUDA_DISPATCH_N(out.dtype, ScatterAddK, out, index, src, dim);
}

void index_select(const View& out, const View& a, const View& index, int dim) {
  check_indices("indexSelect", index, a.shape[dim]);
  View spread = out;
  spread.base = index.base;
  spread.dtype = DType::I32;
  spread.offset = index.offset;
  for (int d = 0; d < out.ndim; d++) spread.strides[d] = d == dim ? index.strides[0] : 0;
  TF_DISPATCH_ALL(a.dtype, GatherK, out, a, spread, dim);
}

}  // namespace backend
}  // namespace tf
