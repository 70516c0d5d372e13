// N-API wrappers for the kernels in common/backend.h: read handles and views,
// check every dtype/shape rule the kernel relies on, then call the backend.
#include <string>

#include "args.h"

namespace tf {
namespace binding {
namespace {

constexpr int kKindF = 0, kKindN = 1, kKindB = 2;
#define F kKindF
#define N kKindN
#define B kKindB
int unary_kind(int code) {
  switch (code) {
#define TF_X(name, c, kind) case c: return kind;
    TF_UNARY_OPS(TF_X)
#undef TF_X
  }
  return -1;
}
int binary_kind(int code) {
  switch (code) {
#define TF_X(name, c, kind) case c: return kind;
    TF_BINARY_OPS(TF_X)
#undef TF_X
  }
  return -1;
}
#undef F
#undef N
#undef B

const char* unary_name(int code) {
  switch (code) {
#define TF_X(name, c, kind) case c: return #name;
    TF_UNARY_OPS(TF_X)
#undef TF_X
  }
  return "unary";
}
const char* binary_name(int code) {
  switch (code) {
#define TF_X(name, c, kind) case c: return #name;
    TF_BINARY_OPS(TF_X)
#undef TF_X
  }
  return "binary";
}

// Output dtype rule shared by unary and binary ops: bool for predicates, else
// the input dtype; float-only ops reject ints/bools; numeric ops reject bools.
void check_kind(Napi::Env env, const char* op, int kind, const View& out, const View& a) {
  if (kind == kKindF) require_float(env, op, a, "input");
  if (kind == kKindN && a.dtype == DType::BOOL) type_error(env, std::string(op) + ": input must be numeric, got bool");
  require_dtype(env, op, out, kind == kKindB ? DType::BOOL : a.dtype, "output");
}

}  // namespace

// fill(out, value)
TF_EXPORT(fill) {
  StorageBox* o = storage_arg(info, 0, "fill");
  double v = number_arg(info, 1, "fill", "value");
  Meta m(info, "fill");
  View out = m.view(o, "output");
  backend::fill(out, v);
  return info.Env().Undefined();
}

// unary(owner?), args [op, out, a, p0, p1, group] -> undefined, or the new
// output's handle when out is -1 - dtype (see OutArg; its view may be implied)
TF_EXPORT_HOT(unary) {
  Meta m(env, "unary", st);
  int code = (int)m.int_arg(0, "op code", 0, (int)UnaryOp::count_ - 1);
  const char* op = unary_name(code);
  m.rename(op);
  OutArg o(env, m, 1, arg);
  StorageBox* a = m.storage(2, "input");
  const bool implied = o.implied(m);
  View out = implied ? unset_view() : o.view(m, "output");
  View av = m.view(a, "input");
  if (implied) o.like(av, &out);
  require_same_shape(env, op, out, av, "output", "input");
  check_kind(env, op, unary_kind(code), out, av);
  backend::unary((UnaryOp)code, out, av, m.arg(3), m.arg(4));
  return o.result();
}

// binary(owner?), args [op, out, a, b | -1, scalar, group] -> undefined, or
// the new output's handle when out is -1 - dtype (see OutArg; its view may
// be implied). b -1: the second operand is the scalar.
TF_EXPORT_HOT(binary) {
  Meta m(env, "binary", st);
  int code = (int)m.int_arg(0, "op code", 0, (int)BinaryOp::count_ - 1);
  const char* op = binary_name(code);
  m.rename(op);
  OutArg o(env, m, 1, arg);
  StorageBox* a = m.storage(2, "input");
  StorageBox* b = m.storage(3, "second input", true);
  const double s = b ? 0.0 : m.arg(4);
  const bool implied = o.implied(m);
  View out = implied ? unset_view() : o.view(m, "output");
  View av = m.view(a, "input");
  if (implied) o.like(av, &out);
  require_same_shape(env, op, out, av, "output", "first input");
  View bv = b ? m.view(b, "second input") : unset_view();
  if (b) {
    require_same_shape(env, op, av, bv, "first input", "second input");
    if (bv.dtype != av.dtype)
      type_error(env, std::string(op) + ": input dtypes differ (" + dtype_name(av.dtype) + " and " + dtype_name(bv.dtype) + ")");
  }
  int kind = binary_kind(code);
  // Predicates accept every dtype; arithmetic rules are as for unary ops.
  if (kind == kKindB) require_dtype(env, op, out, DType::BOOL, "output");
  else check_kind(env, op, kind, out, av);
  backend::binary((BinaryOp)code, out, av, b ? &bv : nullptr, s);
  return o.result();
}

// where(out, cond, a | null, b | null, aScalar, bScalar)
TF_EXPORT(where) {
  Napi::Env env = info.Env();
  StorageBox* o = storage_arg(info, 0, "where");
  StorageBox* c = storage_arg(info, 1, "where");
  // A null operand is the number in argument 4 (for a) or 5 (for b).
  StorageBox* a = optional_storage_arg(info, 2, "where");
  StorageBox* b = optional_storage_arg(info, 3, "where");
  Meta m(info, "where");
  View out = m.view(o, "output"), cv = m.view(c, "condition"), av, bv;
  require_dtype(env, "where", cv, DType::BOOL, "condition");
  require_same_shape(env, "where", out, cv, "output", "condition");
  if (a) {
    av = m.view(a, "input");
    require_same_shape(env, "where", out, av, "output", "input");
    require_dtype(env, "where", av, out.dtype, "input");
  }
  if (b) {
    bv = m.view(b, "other");
    require_same_shape(env, "where", out, bv, "output", "other");
    require_dtype(env, "where", bv, out.dtype, "other");
  }
  backend::where(out, cv, a ? &av : nullptr, a ? 0.0 : number_arg(info, 4, "where", "first operand"), b ? &bv : nullptr,
                 b ? 0.0 : number_arg(info, 5, "where", "second operand"));
  return env.Undefined();
}

// cast(out, a): copy with dtype conversion.
TF_EXPORT(cast) {
  Napi::Env env = info.Env();
  StorageBox* o = storage_arg(info, 0, "copy");
  StorageBox* a = storage_arg(info, 1, "copy");
  Meta m(info, "copy");
  View out = m.view(o, "output"), av = m.view(a, "input");
  require_same_shape(env, "copy", out, av, "output", "input");
  backend::cast(out, av);
  return env.Undefined();
}

// random(out, kind, seedHi, seedLo, offset, p0, p1): out must be contiguous.
TF_EXPORT(random) {
  Napi::Env env = info.Env();
  StorageBox* o = storage_arg(info, 0, "random");
  int kind = (int)int_arg(info, 1, "random", "kind", 0, 2);
  uint64_t hi = (uint64_t)int_arg(info, 2, "random", "seed", 0, 0xffffffffLL);
  uint64_t lo = (uint64_t)int_arg(info, 3, "random", "seed", 0, 0xffffffffLL);
  uint64_t off = (uint64_t)int_arg(info, 4, "random", "offset", 0, (int64_t)1 << 52);
  double p0 = number_arg(info, 5, "random", "p0"), p1 = number_arg(info, 6, "random", "p1");
  Meta m(info, "random");
  View out = m.view(o, "output");
  require_contiguous(env, "random", out, "output");
  backend::random(out, kind, (hi << 32) | lo, off, p0, p1);
  return env.Undefined();
}

// reduce(op, out, a, nred, correction): reduces a's trailing nred dims.
TF_EXPORT(reduce) {
  Napi::Env env = info.Env();
  int code = (int)int_arg(info, 0, "reduce", "op code", 0, (int)ReduceOp::count_ - 1);
  StorageBox* o = storage_arg(info, 1, "reduce");
  StorageBox* a = storage_arg(info, 2, "reduce");
  int nred = (int)int_arg(info, 3, "reduce", "number of reduced dims", 0, kMaxDims);
  double corr = number_arg(info, 4, "reduce", "correction");
  Meta m(info, "reduce");
  View out = m.view(o, "output"), av = m.view(a, "input");
  if (av.ndim != out.ndim + nred) range_error(env, "reduce: output rank must be input rank minus reduced dims");
  for (int d = 0; d < out.ndim; d++)
    if (out.shape[d] != av.shape[d]) range_error(env, "reduce: output shape " + shape_str(out) + " does not match input " + shape_str(av));
  ReduceOp op = (ReduceOp)code;
  if (op == ReduceOp::argmax || op == ReduceOp::argmin) require_dtype(env, "reduce", out, DType::I32, "output");
  else if (op == ReduceOp::mean || op == ReduceOp::var || op == ReduceOp::logsumexp || op == ReduceOp::norm2) {
    require_float(env, "reduce", av, "input");
    require_dtype(env, "reduce", out, av.dtype, "output");
  }
  backend::reduce(op, out, av, nred, corr);
  return env.Undefined();
}

// softmax(out, a, log): 2-D views, rows independent.
TF_EXPORT(softmax) {
  Napi::Env env = info.Env();
  StorageBox* o = storage_arg(info, 0, "softmax");
  StorageBox* a = storage_arg(info, 1, "softmax");
  bool log = bool_arg(info, 2, "softmax", "log");
  Meta m(info, "softmax");
  View out = m.view(o, "output"), av = m.view(a, "input");
  if (av.ndim != 2) range_error(env, "softmax: expects a 2-D view");
  require_same_shape(env, "softmax", out, av, "output", "input");
  require_float(env, "softmax", av, "input");
  require_dtype(env, "softmax", out, av.dtype, "output");
  backend::softmax(out, av, log);
  return env.Undefined();
}

// matmul(out, a, b, bias | null, act): [B,M,K] x [B,K,N] -> contiguous [B,M,N].
TF_EXPORT(matmul) {
  Napi::Env env = info.Env();
  StorageBox* o = storage_arg(info, 0, "matmul");
  StorageBox* a = storage_arg(info, 1, "matmul");
  StorageBox* b = storage_arg(info, 2, "matmul");
  StorageBox* bias = optional_storage_arg(info, 3, "matmul");
  int act = (int)int_arg(info, 4, "matmul", "activation", 0, 1);
  Meta m(info, "matmul");
  View out = m.view(o, "output"), av = m.view(a, "a"), bv = m.view(b, "b"), biasv;
  if (out.ndim != 3 || av.ndim != 3 || bv.ndim != 3) range_error(env, "matmul: expects 3-D views");
  if (av.shape[0] != out.shape[0] || bv.shape[0] != out.shape[0] || av.shape[1] != out.shape[1] ||
      bv.shape[2] != out.shape[2] || av.shape[2] != bv.shape[1])
    range_error(env, "matmul: shapes " + shape_str(av) + " and " + shape_str(bv) + " cannot be multiplied into " + shape_str(out));
  require_float(env, "matmul", av, "a");
  require_dtype(env, "matmul", bv, av.dtype, "b");
  require_dtype(env, "matmul", out, av.dtype, "output");
  require_contiguous(env, "matmul", out, "output");
  if (bias) {
    biasv = m.view(bias, "bias");
    if (biasv.ndim != 1 || biasv.shape[0] != out.shape[2]) range_error(env, "matmul: bias must have shape [" + std::to_string(out.shape[2]) + "]");
    require_dtype(env, "matmul", biasv, av.dtype, "bias");
  }
  if (o == a || o == b) range_error(env, "matmul: output must not alias an input");
  backend::matmul(out, av, bv, bias ? &biasv : nullptr, act);
  return env.Undefined();
}

static void check_index_views(Napi::Env env, const char* op, const View& index) {
  require_dtype(env, op, index, DType::I32, "index");
}

// gather(out, a, index, dim): out[i][j] = a[index[i][j]][j] (dim 0), ...
TF_EXPORT(gather) {
  Napi::Env env = info.Env();
  StorageBox* o = storage_arg(info, 0, "gather");
  StorageBox* a = storage_arg(info, 1, "gather");
  StorageBox* ix = storage_arg(info, 2, "gather");
  Meta m(info, "gather");
  View out = m.view(o, "output"), av = m.view(a, "input"), iv = m.view(ix, "index");
  int dim = (int)int_arg(info, 3, "gather", "dim", 0, av.ndim ? av.ndim - 1 : 0);
  check_index_views(env, "gather", iv);
  require_same_shape(env, "gather", out, iv, "output", "index");
  require_dtype(env, "gather", out, av.dtype, "output");
  if (av.ndim != iv.ndim) range_error(env, "gather: index rank must equal input rank");
  for (int d = 0; d < av.ndim; d++)
    if (d != dim && iv.shape[d] > av.shape[d]) range_error(env, "gather: index shape " + shape_str(iv) + " exceeds input " + shape_str(av));
  try { backend::gather(out, av, iv, dim); } catch (const Error& e) { range_error(env, e.what()); }
  return env.Undefined();
}

// scatterAdd(out, index, src, dim): out[index[i][j]][j] += src[i][j] (dim 0), in place.
TF_EXPORT(scatterAdd) {
  Napi::Env env = info.Env();
  StorageBox* o = storage_arg(info, 0, "scatterAdd");
  StorageBox* ix = storage_arg(info, 1, "scatterAdd");
  StorageBox* s = storage_arg(info, 2, "scatterAdd");
  Meta m(info, "scatterAdd");
  View out = m.view(o, "output"), iv = m.view(ix, "index"), sv = m.view(s, "src");
  int dim = (int)int_arg(info, 3, "scatterAdd", "dim", 0, out.ndim ? out.ndim - 1 : 0);
  check_index_views(env, "scatterAdd", iv);
  require_dtype(env, "scatterAdd", sv, out.dtype, "src");
  if (out.ndim != iv.ndim || sv.ndim != iv.ndim) range_error(env, "scatterAdd: index, src and output must have equal rank");
  for (int d = 0; d < iv.ndim; d++)
    if (iv.shape[d] > sv.shape[d] || (d != dim && iv.shape[d] > out.shape[d]))
      range_error(env, "scatterAdd: index shape " + shape_str(iv) + " exceeds src " + shape_str(sv) + " or output " + shape_str(out));
  if (out.dtype == DType::BOOL) type_error(env, "scatterAdd: bool tensors are not supported");
  try { backend::scatter_add(out, iv, sv, dim); } catch (const Error& e) { range_error(env, e.what()); }
  return env.Undefined();
}

// indexSelect(out, a, index, dim) with a 1-D index.
TF_EXPORT(indexSelect) {
  Napi::Env env = info.Env();
  StorageBox* o = storage_arg(info, 0, "indexSelect");
  StorageBox* a = storage_arg(info, 1, "indexSelect");
  StorageBox* ix = storage_arg(info, 2, "indexSelect");
  Meta m(info, "indexSelect");
  View out = m.view(o, "output"), av = m.view(a, "input"), iv = m.view(ix, "index");
  int dim = (int)int_arg(info, 3, "indexSelect", "dim", 0, av.ndim ? av.ndim - 1 : 0);
  check_index_views(env, "indexSelect", iv);
  if (iv.ndim != 1) range_error(env, "indexSelect: index must be 1-D");
  require_dtype(env, "indexSelect", out, av.dtype, "output");
  bool ok = out.ndim == av.ndim;
  for (int d = 0; ok && d < av.ndim; d++) ok = out.shape[d] == (d == dim ? iv.shape[0] : av.shape[d]);
  if (!ok) range_error(env, "indexSelect: output shape " + shape_str(out) + " does not fit input " + shape_str(av));
  try { backend::index_select(out, av, iv, dim); } catch (const Error& e) { range_error(env, e.what()); }
  return env.Undefined();
}

// Reads the 12 conv geometry integers after the views (N,C,H,W come from x).
// Max pooling reads (and its adjoint writes) an NCHW view whose H*W planes are
// contiguous but whose N and C strides are free; written planes must not
// overlap: one plane dim's copies must clear a plane, the other's all of those.
static void require_planes(Napi::Env env, const char* op, const View& v, const char* what, bool written) {
  const int64_t H = v.shape[2], W = v.shape[3], P = H * W;
  if ((W > 1 && v.strides[3] != 1) || (H > 1 && v.strides[2] != W))
    range_error(env, std::string(op) + ": " + what + " must have contiguous H*W planes");
  if (!written || P == 0) return;
  auto clear = [&](int in, int out) {
    const int64_t ni = v.shape[in], no = v.shape[out];
    return (ni <= 1 || v.strides[in] >= P) && (no <= 1 || v.strides[out] >= (ni - 1) * v.strides[in] + P);
  };
  if (!clear(1, 0) && !clear(0, 1)) range_error(env, std::string(op) + ": " + what + " planes overlap");
}

static backend::ConvGeom read_geom(Meta& m, const View& x) {
  backend::ConvGeom g;
  g.N = x.shape[0]; g.C = x.shape[1]; g.H = x.shape[2]; g.W = x.shape[3];
  g.KH = m.integer("kernel height", 1, 1 << 16); g.KW = m.integer("kernel width", 1, 1 << 16);
  g.SH = m.integer("stride", 1, 1 << 16); g.SW = m.integer("stride", 1, 1 << 16);
  g.PH = m.integer("padding", 0, 1 << 16); g.PW = m.integer("padding", 0, 1 << 16);
  g.DH = m.integer("dilation", 1, 1 << 16); g.DW = m.integer("dilation", 1, 1 << 16);
  g.OH = (g.H + 2 * g.PH - g.DH * (g.KH - 1) - 1) / g.SH + 1;
  g.OW = (g.W + 2 * g.PW - g.DW * (g.KW - 1) - 1) / g.SW + 1;
  return g;
}

static void check_conv(Napi::Env env, const char* op, const View& x, const View& col, const backend::ConvGeom& g) {
  if (x.ndim != 4) range_error(env, std::string(op) + ": input must be 4-D NCHW, got " + shape_str(x));
  require_float(env, op, x, "input");
  require_contiguous(env, op, x, "input");
  require_dtype(env, op, col, x.dtype, "columns");
  if (g.OH <= 0 || g.OW <= 0) range_error(env, std::string(op) + ": kernel larger than padded input " + shape_str(x));
  if (col.ndim != 3 || col.shape[0] != g.N || col.shape[1] != g.C * g.KH * g.KW || col.shape[2] != g.OH * g.OW)
    range_error(env, std::string(op) + ": columns shape " + shape_str(col) + " does not match the geometry");
  // The two dense layouts of backend.h: [N, K, L] storage or [K, N, L] storage.
  const int64_t N = col.shape[0], K = col.shape[1], L = col.shape[2];
  const bool knl = (L == 1 || col.strides[2] == 1) && (N == 1 || col.strides[0] == L) && (K == 1 || col.strides[1] == N * L);
  if (!col.contiguous() && !knl)
    range_error(env, std::string(op) + ": columns " + shape_str(col) + " must be stored as [N, K, L] or [K, N, L], got strides [" +
                         std::to_string(col.strides[0]) + "," + std::to_string(col.strides[1]) + "," + std::to_string(col.strides[2]) + "]");
}

// im2col(col, x) meta: col, x, geometry
TF_EXPORT(im2col) {
  Napi::Env env = info.Env();
  StorageBox* c = storage_arg(info, 0, "im2col");
  StorageBox* x = storage_arg(info, 1, "im2col");
  Meta m(info, "im2col");
  View col = m.view(c, "columns"), xv = m.view(x, "input");
  if (xv.ndim != 4) range_error(env, "im2col: input must be 4-D NCHW, got " + shape_str(xv));
  backend::ConvGeom g = read_geom(m, xv);
  check_conv(env, "im2col", xv, col, g);
  backend::im2col(col, xv, g);
  return env.Undefined();
}

// col2im(x, col) meta: x, col, geometry; accumulates into x.
TF_EXPORT(col2im) {
  Napi::Env env = info.Env();
  StorageBox* x = storage_arg(info, 0, "col2im");
  StorageBox* c = storage_arg(info, 1, "col2im");
  Meta m(info, "col2im");
  View xv = m.view(x, "output"), col = m.view(c, "columns");
  if (xv.ndim != 4) range_error(env, "col2im: output must be 4-D NCHW, got " + shape_str(xv));
  backend::ConvGeom g = read_geom(m, xv);
  check_conv(env, "col2im", xv, col, g);
  if (x == c) range_error(env, "col2im: output must not alias the columns");
  backend::col2im(xv, col, g);
  return env.Undefined();
}

// maxpool2d(out, indices, x) meta: out, indices, x, geometry
TF_EXPORT(maxpool2d) {
  Napi::Env env = info.Env();
  StorageBox* o = storage_arg(info, 0, "maxPool2d");
  StorageBox* ix = storage_arg(info, 1, "maxPool2d");
  StorageBox* x = storage_arg(info, 2, "maxPool2d");
  Meta m(info, "maxPool2d");
  View out = m.view(o, "output"), iv = m.view(ix, "indices"), xv = m.view(x, "input");
  if (xv.ndim != 4) range_error(env, "maxPool2d: input must be 4-D NCHW, got " + shape_str(xv));
  backend::ConvGeom g = read_geom(m, xv);
  require_float(env, "maxPool2d", xv, "input");
  require_planes(env, "maxPool2d", xv, "input", false);
  require_contiguous(env, "maxPool2d", out, "output");
  require_contiguous(env, "maxPool2d", iv, "indices");
  require_dtype(env, "maxPool2d", out, xv.dtype, "output");
  require_dtype(env, "maxPool2d", iv, DType::I32, "indices");
  if (g.OH <= 0 || g.OW <= 0) range_error(env, "maxPool2d: kernel larger than padded input " + shape_str(xv));
  bool ok = out.ndim == 4 && out.shape[0] == g.N && out.shape[1] == g.C && out.shape[2] == g.OH && out.shape[3] == g.OW;
  if (!ok) range_error(env, "maxPool2d: output shape " + shape_str(out) + " does not match the geometry");
  require_same_shape(env, "maxPool2d", out, iv, "output", "indices");
  backend::maxpool2d(out, iv, xv, g);
  return env.Undefined();
}

// maxpool2dBackward(dx, gy, indices) meta: dx, gy, indices, geometry. dx is
// overwritten (zeroed, then the gradients added at the indices).
TF_EXPORT(maxpool2dBackward) {
  const char* op = "maxPool2dBackward";
  Napi::Env env = info.Env();
  StorageBox* d = storage_arg(info, 0, op);
  StorageBox* gy = storage_arg(info, 1, op);
  StorageBox* ix = storage_arg(info, 2, op);
  Meta m(info, op);
  View dx = m.view(d, "input gradient"), gv = m.view(gy, "output gradient"), iv = m.view(ix, "indices");
  if (dx.ndim != 4) range_error(env, std::string(op) + ": input gradient must be 4-D NCHW, got " + shape_str(dx));
  backend::ConvGeom g = read_geom(m, dx);
  require_float(env, op, dx, "input gradient");
  require_dtype(env, op, gv, dx.dtype, "output gradient");
  require_dtype(env, op, iv, DType::I32, "indices");
  require_planes(env, op, dx, "input gradient", true);
  require_contiguous(env, op, gv, "output gradient");
  require_contiguous(env, op, iv, "indices");
  if (g.OH <= 0 || g.OW <= 0) range_error(env, std::string(op) + ": kernel larger than padded input " + shape_str(dx));
  bool ok = gv.ndim == 4 && gv.shape[0] == g.N && gv.shape[1] == g.C && gv.shape[2] == g.OH && gv.shape[3] == g.OW;
  if (!ok) range_error(env, std::string(op) + ": output gradient shape " + shape_str(gv) + " does not match the geometry for input " + shape_str(dx));
  require_same_shape(env, op, gv, iv, "output gradient", "indices");
  if (d == gy || d == ix) range_error(env, std::string(op) + ": the input gradient must not alias its inputs");
  try { backend::maxpool2d_backward(dx, gv, iv, g); } catch (const Error& e) { range_error(env, e.what()); }
  return env.Undefined();
}

// Optimizer steps: every state tensor must match the parameter exactly.
static View opt_view(Napi::Env env, Meta& m, StorageBox* s, const char* op, const char* what, const View* like) {
  View v = m.view(s, what);
  require_contiguous(env, op, v, what);
  if (like) {
    require_same_shape(env, op, v, *like, what, "param");
    require_dtype(env, op, v, like->dtype, what);
  } else {
    require_float(env, op, v, what);
  }
  return v;
}

// adamStep(p, g, m, v, vmax|null, lr, b1, b2, eps, wd, bc1, bc2, decoupled, amsgrad)
TF_EXPORT(adamStep) {
  Napi::Env env = info.Env();
  const char* op = "adamStep";
  StorageBox *p = storage_arg(info, 0, op), *g = storage_arg(info, 1, op), *mm = storage_arg(info, 2, op),
             *vv = storage_arg(info, 3, op), *vmax = optional_storage_arg(info, 4, op);
  backend::AdamArgs a{number_arg(info, 5, op, "lr"), number_arg(info, 6, op, "beta1"), number_arg(info, 7, op, "beta2"),
                      number_arg(info, 8, op, "eps"), number_arg(info, 9, op, "weightDecay"),
                      number_arg(info, 10, op, "bias correction 1"), number_arg(info, 11, op, "bias correction 2"),
                      bool_arg(info, 12, op, "decoupled"), bool_arg(info, 13, op, "amsgrad")};
  Meta m(info, op);
  View pv = opt_view(env, m, p, op, "param", nullptr);
  View gv = opt_view(env, m, g, op, "grad", &pv), mv = opt_view(env, m, mm, op, "exp_avg", &pv),
       vv2 = opt_view(env, m, vv, op, "exp_avg_sq", &pv), vmv;
  if (vmax) vmv = opt_view(env, m, vmax, op, "max_exp_avg_sq", &pv);
  backend::adam_step(pv, gv, mv, vv2, vmax ? &vmv : nullptr, a);
  return env.Undefined();
}

// sgdStep(p, g, buf|null, lr, momentum, dampening, wd, nesterov, first)
TF_EXPORT(sgdStep) {
  Napi::Env env = info.Env();
  const char* op = "sgdStep";
  StorageBox *p = storage_arg(info, 0, op), *g = storage_arg(info, 1, op), *buf = optional_storage_arg(info, 2, op);
  backend::SgdArgs a{number_arg(info, 3, op, "lr"), number_arg(info, 4, op, "momentum"), number_arg(info, 5, op, "dampening"),
                     number_arg(info, 6, op, "weightDecay"), bool_arg(info, 7, op, "nesterov"), bool_arg(info, 8, op, "first")};
  Meta m(info, op);
  View pv = opt_view(env, m, p, op, "param", nullptr);
  View gv = opt_view(env, m, g, op, "grad", &pv), bv;
  if (buf) bv = opt_view(env, m, buf, op, "momentum_buffer", &pv);
  backend::sgd_step(pv, gv, buf ? &bv : nullptr, a);
  return env.Undefined();
}

// rmspropStep(p, g, sq, buf|null, gavg|null, lr, alpha, eps, wd, momentum, centered)
TF_EXPORT(rmspropStep) {
  Napi::Env env = info.Env();
  const char* op = "rmspropStep";
  StorageBox *p = storage_arg(info, 0, op), *g = storage_arg(info, 1, op), *sq = storage_arg(info, 2, op),
             *buf = optional_storage_arg(info, 3, op), *ga = optional_storage_arg(info, 4, op);
  backend::RmspropArgs a{number_arg(info, 5, op, "lr"), number_arg(info, 6, op, "alpha"), number_arg(info, 7, op, "eps"),
                         number_arg(info, 8, op, "weightDecay"), number_arg(info, 9, op, "momentum"),
                         bool_arg(info, 10, op, "centered")};
  Meta m(info, op);
  View pv = opt_view(env, m, p, op, "param", nullptr);
  View gv = opt_view(env, m, g, op, "grad", &pv), sv = opt_view(env, m, sq, op, "square_avg", &pv), bv, gav;
  if (buf) bv = opt_view(env, m, buf, op, "momentum_buffer", &pv);
  if (ga) gav = opt_view(env, m, ga, op, "grad_avg", &pv);
  backend::rmsprop_step(pv, gv, sv, buf ? &bv : nullptr, ga ? &gav : nullptr, a);
  return env.Undefined();
}

// adagradStep(p, g, sum, lr, eps, wd)
TF_EXPORT(adagradStep) {
  Napi::Env env = info.Env();
  const char* op = "adagradStep";
  StorageBox *p = storage_arg(info, 0, op), *g = storage_arg(info, 1, op), *s = storage_arg(info, 2, op);
  backend::AdagradArgs a{number_arg(info, 3, op, "lr"), number_arg(info, 4, op, "eps"), number_arg(info, 5, op, "weightDecay")};
  Meta m(info, op);
  View pv = opt_view(env, m, p, op, "param", nullptr);
  View gv = opt_view(env, m, g, op, "grad", &pv), sv = opt_view(env, m, s, op, "sum", &pv);
  backend::adagrad_step(pv, gv, sv, a);
  return env.Undefined();
}

// crossEntropy(loss, grad|null, logits, target, ignoreIndex): logits [N,C], target [N] int32, loss [N].
TF_EXPORT(crossEntropy) {
  Napi::Env env = info.Env();
  const char* op = "crossEntropy";
  StorageBox *l = storage_arg(info, 0, op), *g = optional_storage_arg(info, 1, op), *x = storage_arg(info, 2, op),
             *t = storage_arg(info, 3, op);
  int64_t ignore = int_arg(info, 4, op, "ignoreIndex", -((int64_t)1 << 31), ((int64_t)1 << 31) - 1);
  Meta m(info, op);
  View lv = m.view(l, "loss"), gv, xv, tv;
  if (g) gv = m.view(g, "grad");
  xv = m.view(x, "logits");
  tv = m.view(t, "target");
  if (xv.ndim != 2) range_error(env, "crossEntropy: logits must be 2-D [N, C], got " + shape_str(xv));
  require_float(env, op, xv, "logits");
  require_dtype(env, op, tv, DType::I32, "target");
  require_dtype(env, op, lv, xv.dtype, "loss");
  if (tv.ndim != 1 || tv.shape[0] != xv.shape[0] || lv.ndim != 1 || lv.shape[0] != xv.shape[0])
    range_error(env, "crossEntropy: target " + shape_str(tv) + " and loss " + shape_str(lv) + " must be [" +
                         std::to_string(xv.shape[0]) + "] for logits " + shape_str(xv));
  if (xv.shape[1] == 0) range_error(env, "crossEntropy: logits have zero classes");
  if (g) {
    require_same_shape(env, op, gv, xv, "grad", "logits");
    require_dtype(env, op, gv, xv.dtype, "grad");
  }
  try { backend::cross_entropy(lv, g ? &gv : nullptr, xv, tv, ignore); } catch (const Error& e) { range_error(env, e.what()); }
  return env.Undefined();
}

}  // namespace binding
}  // namespace tf
