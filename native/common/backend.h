// The backend contract: everything the binding layer (native/binding) asks of a
// device. The CPU addon links native/cpu's implementation; the CUDA addon (and
// its g++ emulation build) links native/cuda's. The binding code is shared, so
// argument validation is written once for every device.
//
// Views passed here are already validated (shape/stride/offset in bounds,
// dtypes as the op requires). Kernels throw tf::Error only for conditions that
// depend on data (e.g. an index value out of range).
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include "layout.h"
#include "ops.h"

namespace tf {

// A data-dependent failure raised by a kernel; the binding turns it into a JS
// RangeError with this message.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace backend {

// Device name, as reported to JS ("cpu", "cuda").
const char* device_name();
// Human-readable reason when the device is unusable, or nullptr when it is usable.
const char* unavailable_reason();

// Memory. alloc returns nullptr on failure (the binding reports a RangeError).
void* alloc(size_t nbytes);
void release(void* p, size_t nbytes);
// release() of n blocks at once (an owner group's members): one lock, not n.
void release_many(void* const* ps, const size_t* nbytes, size_t n);
void copy_from_host(void* dst, const void* src, size_t nbytes);
void copy_to_host(void* dst, const void* src, size_t nbytes);
struct MemoryStats { int64_t live_bytes, cached_bytes, peak_bytes, allocs; };
MemoryStats memory_stats();
void empty_cache();

// Pointwise. `out` and the inputs share one shape (the caller broadcasts by
// giving inputs zero strides). Scalars stand in for a missing tensor input.
void fill(const View& out, double value);
void unary(UnaryOp op, const View& out, const View& a, double p0, double p1);
void binary(BinaryOp op, const View& out, const View& a, const View* b, double b_scalar);
// out = cond ? a : b, where a missing a/b is the scalar.
void where(const View& out, const View& cond, const View* a, double a_scalar, const View* b, double b_scalar);
// Copies with dtype conversion (also used for contiguous(), clone() and cat).
void cast(const View& out, const View& a);
// Fills `out` (contiguous) from the Philox stream (seed, offset).
void random(const View& out, int kind, uint64_t seed, uint64_t offset, double p0, double p1);

// Reduces the trailing `nred` dims of `a` into `out` (whose shape is a's leading
// dims). `correction` is for var (Bessel). argmax/argmin write int32.
void reduce(ReduceOp op, const View& out, const View& a, int nred, double correction);
// Row-wise softmax/logSoftmax over the last dim of a 2-D contiguous view.
void softmax(const View& out, const View& a, bool log);
// out[b] = a[b] @ b[b] for 3-D views [batch, M, K] x [batch, K, N] (any strides,
// batch strides may be 0 for broadcasting); out is contiguous [batch, M, N].
// When `bias` is non-null it is added per column (Linear's fused epilogue), then
// act (0 none, 1 relu) is applied.
void matmul(const View& out, const View& a, const View& b, const View* bias, int act);

// Indexing along `dim` (all views have equal ndim). index is int32.
void gather(const View& out, const View& a, const View& index, int dim);
void scatter_add(const View& out, const View& index, const View& src, int dim);
void index_select(const View& out, const View& a, const View& index, int dim);

// Convolution helpers on contiguous NCHW tensors.
struct ConvGeom { int64_t N, C, H, W, KH, KW, SH, SW, PH, PW, DH, DW, OH, OW; };
// col: [N, C*KH*KW, OH*OW], unit stride on the last dim; its first two dims are
// either contiguous ([N, K, L] storage) or swapped ([K, N, L] storage, which
// makes the batch's columns one [K, N*L] GEMM operand).
void im2col(const View& col, const View& x, const ConvGeom& g);
// x += col2im(col)  (x zeroed by the caller)
void col2im(const View& x, const View& col, const ConvGeom& g);
// Max pooling; indices are flat positions within each H*W plane (int32).
// x (and dx below) need only contiguous H*W planes: their N and C strides are
// free (conv2d's [C, N, H, W] GEMM output is pooled in place), while out,
// indices and gy are contiguous.
void maxpool2d(const View& out, const View& indices, const View& x, const ConvGeom& g);
// Its adjoint: dx = 0, then dx[n][c][indices[n][c][j]] += gy[n][c][j]. Throws
// tf::Error for an index outside [0, H*W). dx's planes must not overlap.
void maxpool2d_backward(const View& dx, const View& gy, const View& indices, const ConvGeom& g);

// Fused optimizer updates on contiguous tensors of one float dtype.
struct AdamArgs { double lr, beta1, beta2, eps, weight_decay, bc1, bc2; bool decoupled, amsgrad; };
void adam_step(const View& p, const View& g, const View& m, const View& v, const View* vmax, const AdamArgs& a);
struct SgdArgs { double lr, momentum, dampening, weight_decay; bool nesterov, first; };
void sgd_step(const View& p, const View& g, const View* buf, const SgdArgs& a);
struct RmspropArgs { double lr, alpha, eps, weight_decay, momentum; bool centered; };
void rmsprop_step(const View& p, const View& g, const View& sq, const View* buf, const View* gavg, const RmspropArgs& a);
struct AdagradArgs { double lr, eps, weight_decay; };
void adagrad_step(const View& p, const View& g, const View& sum, const AdagradArgs& a);

// Fused cross-entropy on contiguous logits [N, C] with int32 targets [N]:
// loss[i] = logsumexp(x_i) - x_i[t_i] (0 where t_i == ignore), and, when grad is
// non-null, grad = softmax(x) - onehot(t) (rows of ignored targets zeroed).
void cross_entropy(const View& loss, const View* grad, const View& logits, const View& target, int64_t ignore_index);

// Fused LSTM cell, PyTorch's gate order (i, f, g, o). Every view is 2-D with a
// unit inner stride (rows may be strided, e.g. one time step of a batch-first
// projection); outputs do not overlap each other or the inputs.
//   gates = xg + hg            xg, hg [B, 4H] (hg may be null: zero)
//   i, f, o = sigmoid(.)  g = tanh(.)   -> acts [B, 4H], kept for the backward
//   c = f * c_prev + i * g     c_prev, c [B, H]
//   h = o * tanh(c)            h [B, H]
void lstm_cell(const View& h, const View& c, const View& acts, const View& xg, const View* hg, const View& c_prev);
// The cell's backward, from the forward's acts, c_prev and c. The incoming
// gradients are summed: dh = dh + dh2, dc = dc + dc2 (null means zero), then
//   dc_tot  = dc + dh * o * (1 - tanh(c)^2)
//   dgates  = [dc_tot*g*i(1-i), dc_tot*c_prev*f(1-f), dc_tot*i*(1-g^2), dh*tanh(c)*o(1-o)]   [B, 4H]
//   dc_prev = dc_tot * f                                                                    [B, H]
void lstm_cell_backward(const View& dgates, const View& dc_prev, const View& acts, const View& c_prev, const View& c,
                        const View& dh, const View* dh2, const View* dc, const View* dc2);

}  // namespace backend
}  // namespace tf
