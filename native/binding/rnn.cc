// N-API wrappers for the fused recurrent-cell kernels (common/backend.h):
// every view is checked for rank, shape, dtype, unit inner stride and, for
// outputs, overlap with anything else the kernel touches, because the kernels
// trust all of it.
#include <string>

#include "args.h"

namespace tf {
namespace binding {
namespace {

constexpr int kMaxArgs = 9;

struct Arg {
  StorageBox* box;
  View v;
  const char* what;
};

// A 2-D [rows, cols] view of `dtype` whose elements in a row are adjacent.
void check_rows(Napi::Env env, const char* op, const Arg& a, int64_t rows, int64_t cols, DType dtype) {
  const View& v = a.v;
  if (v.ndim != 2 || v.shape[0] != rows || v.shape[1] != cols)
    range_error(env, std::string(op) + ": " + a.what + " must have shape [" + std::to_string(rows) + "," + std::to_string(cols) +
                         "], got " + shape_str(v));
  require_dtype(env, op, v, dtype, a.what);
  if (cols > 1 && v.strides[1] != 1)
    range_error(env, std::string(op) + ": " + a.what + " " + shape_str(v) + " must have unit stride in its last dim, got " +
                         std::to_string(v.strides[1]));
}

// First and last element a view touches (strides are non-negative).
void extent(const View& v, int64_t& lo, int64_t& hi) {
  lo = hi = v.offset;
  for (int d = 0; d < v.ndim; d++) hi += (v.shape[d] - 1) * v.strides[d];
}

// Outputs must not share elements with each other or with the inputs: the
// kernels read and write row by row. Rows of an output must not overlap either.
// The outputs are the first `nout` of the `nall` arguments.
void check_disjoint(Napi::Env env, const char* op, const Arg* all, int nout, int nall) {
  const Arg* outs = all;
  for (int i = 0; i < nout; i++) {
    const View& o = outs[i].v;
    if (o.shape[0] > 1 && o.strides[0] < o.shape[1])
      range_error(env, std::string(op) + ": rows of " + outs[i].what + " overlap (row stride " + std::to_string(o.strides[0]) + ")");
    int64_t olo, ohi;
    extent(o, olo, ohi);
    for (int k = 0; k < nall; k++) {
      if (k == i || all[k].box != outs[i].box) continue;
      int64_t lo, hi;
      extent(all[k].v, lo, hi);
      if (olo <= hi && lo <= ohi)
        range_error(env, std::string(op) + ": " + outs[i].what + " overlaps " + all[k].what + " in memory");
    }
  }
}

// Reads the arguments' views from meta in order, skipping null handles, and
// checks each as [B, H] or, where wide[i], [B, 4H] of one float dtype. B, H and
// the dtype come from argument `ref` (always present).
struct Args {
  Arg a[kMaxArgs];
  const View* slot[kMaxArgs] = {nullptr};
  int n = 0;
};
void read_cell_args(const Napi::CallbackInfo& info, const char* op, const char* const* names, const bool* wide, int count,
                    int required, int ref, Args& r) {
  Napi::Env env = info.Env();
  StorageBox* box[kMaxArgs];
  for (int i = 0; i < count; i++) box[i] = i < required ? storage_arg(info, i, op) : optional_storage_arg(info, i, op);
  Meta m(info, op);
  int at[kMaxArgs];
  for (int i = 0; i < count; i++) {
    if (!box[i]) continue;
    at[i] = r.n;
    r.a[r.n++] = {box[i], m.view(box[i], names[i]), names[i]};
  }
  const View& rv = r.a[at[ref]].v;
  if (rv.ndim != 2) range_error(env, std::string(op) + ": " + names[ref] + " must be 2-D [batch, hidden], got " + shape_str(rv));
  require_float(env, op, rv, names[ref]);
  const int64_t B = rv.shape[0], H = rv.shape[1];
  for (int i = 0; i < count; i++) {
    if (!box[i]) continue;
    check_rows(env, op, r.a[at[i]], B, wide[i] ? 4 * H : H, rv.dtype);
    r.slot[i] = &r.a[at[i]].v;
  }
}

}  // namespace

// lstmCell(h, c, acts, xg, hg | null, cPrev); meta: the views in that order (hg only if given).
TF_EXPORT(lstmCell) {
  const char* op = "lstmCell";
  static const char* const names[6] = {"h", "c", "acts", "xg", "hg", "cPrev"};
  static const bool wide[6] = {false, false, true, true, true, false};
  // hg (index 4) is optional, cPrev after it is not: read it as optional and check below.
  Args r;
  read_cell_args(info, op, names, wide, 6, 4, 0, r);
  if (!r.slot[5]) type_error(info.Env(), std::string(op) + ": argument 5 (cPrev) must be a tensor storage handle");
  check_disjoint(info.Env(), op, r.a, 3, r.n);
  backend::lstm_cell(*r.slot[0], *r.slot[1], *r.slot[2], *r.slot[3], r.slot[4], *r.slot[5]);
  return info.Env().Undefined();
}

// lstmCellBackward(dgates, dcPrev, acts, cPrev, c, dh, dh2 | null, dc | null, dc2 | null);
// meta: the views in that order (null ones skipped).
TF_EXPORT(lstmCellBackward) {
  const char* op = "lstmCellBackward";
  static const char* const names[9] = {"dgates", "dcPrev", "acts", "cPrev", "c", "dh", "dh2", "dc", "dc2"};
  static const bool wide[9] = {true, false, true, false, false, false, false, false, false};
  Args r;
  read_cell_args(info, op, names, wide, 9, 6, 4, r);
  check_disjoint(info.Env(), op, r.a, 2, r.n);
  const View* const* s = r.slot;
  backend::lstm_cell_backward(*s[0], *s[1], *s[2], *s[3], *s[4], *s[5], s[6], s[7], s[8]);
  return info.Env().Undefined();
}

}  // namespace binding
}  // namespace tf
