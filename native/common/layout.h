// A strided view over a storage buffer: the one descriptor every kernel takes.
// Shapes and strides are in elements. Views are validated once at the binding
// boundary (see native/binding/args.h); kernels trust them.
#pragma once
#include <cstdint>
#include "dtype.h"

namespace tf {

constexpr int kMaxDims = 16;

struct View {
  char* base = nullptr;  // storage start (not offset-adjusted)
  DType dtype = DType::F32;
  int ndim = 0;
  int64_t offset = 0;
  // Only [0, ndim) is meaningful. Not zeroed: a view is built for every
  // operand of every op, and clearing 256 bytes (a `rep stos`) was a sixth of
  // the time spent reading one.
  int64_t shape[kMaxDims];
  int64_t strides[kMaxDims];

  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    return n;
  }
  template <class T> T* ptr() const { return reinterpret_cast<T*>(base) + offset; }
  bool contiguous() const {
    int64_t expect = 1;
    for (int i = ndim - 1; i >= 0; i--) {
      if (shape[i] != 1 && strides[i] != expect) return false;
      expect *= shape[i];
    }
    return true;
  }
};

// A zero-stride view of the one element at p, shaped like `like`: a scalar
// operand broadcast to it. Only like's ndim dims are copied: a whole View is
// 280 bytes, and copying one (rep movs, ~30 cycles to start) was a visible
// share of a tiny op.
inline View broadcast_scalar(const View& like, void* p, DType dtype) {
  View v;
  v.base = static_cast<char*>(p);
  v.dtype = dtype;
  v.ndim = like.ndim;
  v.offset = 0;
  for (int d = 0; d < like.ndim; d++) v.shape[d] = like.shape[d], v.strides[d] = 0;
  return v;
}

// Merges dimensions that are jointly contiguous in every view and drops size-1
// dims, so a pointwise kernel over a permuted-but-dense or broadcast tensor runs
// its inner loop over as many elements as possible. All views share `shape`.
// Writes the collapsed shape/strides; returns the new ndim (>= 1).
inline int collapse_dims(int ndim, const int64_t* shape, int nviews, const int64_t* const* strides,
                         int64_t* out_shape, int64_t (*out_strides)[kMaxDims]) {
  int nd = 0;
  for (int d = 0; d < ndim; d++) {
    if (shape[d] == 1) continue;
    if (nd > 0) {
      bool merge = true;
      for (int v = 0; v < nviews; v++)
        if (out_strides[v][nd - 1] != strides[v][d] * shape[d]) { merge = false; break; }
      if (merge) {
        out_shape[nd - 1] *= shape[d];
        for (int v = 0; v < nviews; v++) out_strides[v][nd - 1] = strides[v][d];
        continue;
      }
    }
    out_shape[nd] = shape[d];
    for (int v = 0; v < nviews; v++) out_strides[v][nd] = strides[v][d];
    nd++;
  }
  if (nd == 0) {
    out_shape[0] = 1;
    for (int v = 0; v < nviews; v++) out_strides[v][0] = 0;
    nd = 1;
  }
  return nd;
}

}  // namespace tf
