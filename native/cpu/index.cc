// gather / scatterAdd / indexSelect along one dim. Index values are checked in a
// serial pass before any thread runs, so a bad index is a clean RangeError.
#include <cstring>
#include <algorithm>
#include <string>

#include "../common/backend.h"
#include "parallel.h"

namespace tf {
namespace backend {
namespace {

void check_indices(const char* op, const View& index, int64_t limit) {
  const int32_t* p = (const int32_t*)index.base;
  const int64_t n = index.numel();
  int64_t idx[kMaxDims] = {0};
  for (int64_t flat = 0; flat < n; flat++) {
    int64_t off = index.offset;
    for (int d = 0; d < index.ndim; d++) off += idx[d] * index.strides[d];
    int32_t v = p[off];
    if (v < 0 || v >= limit)
      throw Error(std::string(op) + ": index " + std::to_string(v) + " is out of range for a dimension of size " +
                  std::to_string(limit));
    for (int d = index.ndim - 1; d >= 0; d--) {
      if (++idx[d] < index.shape[d]) break;
      idx[d] = 0;
    }
  }
}

// Offset of multi-index `idx` (over `shape`) in view v, with dim `dim` replaced by `at`.
inline int64_t offset_of(const View& v, const int64_t* idx, int dim, int64_t at) {
  int64_t off = v.offset;
  for (int d = 0; d < v.ndim; d++) off += (d == dim ? at : idx[d]) * v.strides[d];
  return off;
}

// Calls f(idx) for every multi-index of `shape` (serially; used where writes may collide).
template <class F>
void each_index(int ndim, const int64_t* shape, F f) {
  int64_t n = 1;
  for (int d = 0; d < ndim; d++) n *= shape[d];
  int64_t idx[kMaxDims] = {0};
  for (int64_t flat = 0; flat < n; flat++) {
    f(idx);
    for (int d = ndim - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

struct GatherK {
  template <class T> static void run(const View& out, const View& a, const View& index, int dim) {
    T* o = (T*)out.base;
    const T* x = (const T*)a.base;
    const int32_t* ip = (const int32_t*)index.base;
    each_index(out.ndim, out.shape, [&](const int64_t* idx) {
      int64_t at = ip[offset_of(index, idx, -1, 0)];
      o[offset_of(out, idx, -1, 0)] = x[offset_of(a, idx, dim, at)];
    });
  }
};

// Calls f(idx) for every multi-index of `shape` whose coordinate on `axis`
// lies in [begin, end).
template <class F>
void each_index_slab(int ndim, const int64_t* shape, int axis, int64_t begin, int64_t end, F f) {
  int64_t sub[kMaxDims];
  for (int d = 0; d < ndim; d++) sub[d] = d == axis ? end - begin : shape[d];
  each_index(ndim, sub, [&](const int64_t* idx) {
    int64_t full[kMaxDims];
    for (int d = 0; d < ndim; d++) full[d] = d == axis ? idx[d] + begin : idx[d];
    f(full);
  });
}

struct ScatterAddK {
  template <class T> static void run(const View& out, const View& index, const View& src, int dim) {
    T* o = (T*)out.base;
    const T* s = (const T*)src.base;
    const int32_t* ip = (const int32_t*)index.base;
    auto body = [&](const int64_t* idx) {
      int64_t at = ip[offset_of(index, idx, -1, 0)];
      o[offset_of(out, idx, dim, at)] += s[offset_of(src, idx, -1, 0)];
    };
    // Writes only collide along `dim` (every other coordinate is kept), so
    // slabs along another axis can run in parallel; each fiber along `dim`
    // stays on one thread, in order, so results match the serial sum exactly.
    int axis = -1;
    for (int d = 0; d < index.ndim; d++)
      if (d != dim && (axis < 0 || index.shape[d] > index.shape[axis])) axis = d;
    if (axis < 0) {
      each_index(index.ndim, index.shape, body);
      return;
    }
    const int64_t per_slab = std::max<int64_t>(1, index.numel() / std::max<int64_t>(1, index.shape[axis]));
    cpu::parallel_for(index.shape[axis], std::max<int64_t>(1, 32768 / per_slab), [&](int64_t b, int64_t e) {
      each_index_slab(index.ndim, index.shape, axis, b, e, body);
    });
  }
};

struct IndexSelectK {
  template <class T> static void run(const View& out, const View& a, const View& index, int dim) {
    T* o = (T*)out.base;
    const T* x = (const T*)a.base;
    const int32_t* ip = (const int32_t*)index.base;
    if (out.contiguous() && a.contiguous() && a.ndim > 0) {
      // Dense case (a DataLoader gathering a batch of rows): every picked
      // index is one block of `inner` consecutive elements, copied whole.
      int64_t outer = 1, inner = 1;
      for (int d = 0; d < dim; d++) outer *= a.shape[d];
      for (int d = dim + 1; d < a.ndim; d++) inner *= a.shape[d];
      const int64_t n = out.shape[dim], src_rows = a.shape[dim];
      T* op = o + out.offset;
      const T* xp = x + a.offset;
      for (int64_t b = 0; b < outer; b++)
        for (int64_t i = 0; i < n; i++)
          std::memcpy(op + (b * n + i) * inner, xp + (b * src_rows + ip[index.offset + i * index.strides[0]]) * inner,
                      (size_t)inner * sizeof(T));
      return;
    }
    each_index(out.ndim, out.shape, [&](const int64_t* idx) {
      int64_t at = ip[index.offset + idx[dim] * index.strides[0]];
      o[offset_of(out, idx, -1, 0)] = x[offset_of(a, idx, dim, at)];
    });
  }
};

}  // namespace

void gather(const View& out, const View& a, const View& index, int dim) {
  check_indices("gather", index, a.shape[dim]);
  TF_DISPATCH_ALL(a.dtype, GatherK, out, a, index, dim);
}
void scatter_add(const View& out, const View& index, const View& src, int dim) {
  check_indices("scatterAdd", index, out.shape[dim]);
  TF_DISPATCH_ALL(out.dtype, ScatterAddK, out, index, src, dim);
}
void index_select(const View& out, const View& a, const View& index, int dim) {
  check_indices("indexSelect", index, a.shape[dim]);
  TF_DISPATCH_ALL(a.dtype, IndexSelectK, out, a, index, dim);
}

}  // namespace backend
}  // namespace tf
