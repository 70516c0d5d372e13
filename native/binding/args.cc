#include "args.h"

#include <atomic>
#include <mutex>
#include <sstream>

namespace tf {
namespace binding {

namespace {

// Chunk k holds 1024 << k boxes; chunks are never freed, so is_box() can read
// the published chunk bounds without a lock while other threads allocate.
constexpr int kMaxChunks = 36;
struct BoxPool {
  std::atomic<StorageBox*> chunk[kMaxChunks] = {};
  std::atomic<int> nchunks{0};
  std::mutex mu;
  std::vector<StorageBox*> free_list;
};
BoxPool& box_pool() {
  static BoxPool* p = new BoxPool();  // never destroyed: finalizers may run during exit
  return *p;
}
constexpr int64_t chunk_size(int k) { return (int64_t)1024 << k; }

}  // namespace

StorageBox* new_box() {
  BoxPool& bp = box_pool();
  std::lock_guard<std::mutex> lock(bp.mu);
  if (bp.free_list.empty()) {
    int k = bp.nchunks.load(std::memory_order_relaxed);
    if (k == kMaxChunks) return nullptr;
    StorageBox* c = new StorageBox[chunk_size(k)];
    bp.free_list.reserve(bp.free_list.size() + chunk_size(k));
    for (int64_t i = chunk_size(k) - 1; i >= 0; i--) bp.free_list.push_back(c + i);
    bp.chunk[k].store(c, std::memory_order_release);
    bp.nchunks.store(k + 1, std::memory_order_release);
  }
  StorageBox* b = bp.free_list.back();
  bp.free_list.pop_back();
  *b = StorageBox{};
  return b;
}

void delete_box(StorageBox* box) {
  BoxPool& bp = box_pool();
  std::lock_guard<std::mutex> lock(bp.mu);
  bp.free_list.push_back(box);
}

bool is_box(const void* p) {
  BoxPool& bp = box_pool();
  const int n = bp.nchunks.load(std::memory_order_acquire);
  const auto a = reinterpret_cast<uintptr_t>(p);
  for (int k = 0; k < n; k++) {
    const auto c = reinterpret_cast<uintptr_t>(bp.chunk[k].load(std::memory_order_acquire));
    if (a >= c && a < c + chunk_size(k) * sizeof(StorageBox)) return (a - c) % sizeof(StorageBox) == 0;
  }
  return false;
}

std::vector<std::pair<const char*, Fn>>& registry() {
  static std::vector<std::pair<const char*, Fn>> r;
  return r;
}

std::string shape_str(const View& v) {
  std::ostringstream s;
  s << "[";
  for (int i = 0; i < v.ndim; i++) s << (i ? "," : "") << v.shape[i];
  s << "]";
  return s.str();
}

StorageBox* optional_storage_arg(const Napi::CallbackInfo& info, size_t i, const char* op) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  return storage_arg(info, i, op);
}

StorageBox* box_arg(const Napi::CallbackInfo& info, size_t i, const char* op) {
  void* p = nullptr;
  // napi_get_value_external fails (without throwing) on anything but an External.
  if (i >= info.Length() || napi_get_value_external(info.Env(), info[i], &p) != napi_ok || !is_box(p))
    type_error(info.Env(), std::string(op) + ": argument " + std::to_string(i) + " must be a tensorforge storage handle");
  return static_cast<StorageBox*>(p);
}

StorageBox* storage_arg(const Napi::CallbackInfo& info, size_t i, const char* op) {
  StorageBox* box = box_arg(info, i, op);
  if (box->freed) type_error(info.Env(), std::string(op) + ": tensor was used after dispose()");
  return box;
}

double number_arg(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what) {
  if (i >= info.Length() || !info[i].IsNumber())
    type_error(info.Env(), std::string(op) + ": " + what + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

int64_t int_arg(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what, int64_t lo, int64_t hi) {
  double d = number_arg(info, i, op, what);
  if (!std::isfinite(d) || d != std::floor(d) || d < (double)lo || d > (double)hi)
    range_error(info.Env(), std::string(op) + ": " + what + " must be an integer in [" + std::to_string(lo) + ", " +
                                std::to_string(hi) + "], got " + std::to_string(d));
  return (int64_t)d;
}

bool bool_arg(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what) {
  if (i >= info.Length() || !info[i].IsBoolean())
    type_error(info.Env(), std::string(op) + ": " + what + " must be a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

Meta::Meta(const Napi::CallbackInfo& info, const char* op) : env_(info.Env()), op_(op) {
  m_ = env_.GetInstanceData<AddonState>()->meta;
}

void Meta::bad_integer(const char* what, int64_t lo, int64_t hi) {
  if (pos_ >= kMetaLen) range_error(env_, std::string(op_) + ": too many view arguments");
  range_error(env_, std::string(op_) + ": " + what + " must be an integer in [" + std::to_string(lo) + ", " +
                        std::to_string(hi) + "], got " + std::to_string(m_[pos_]));
}

View Meta::view(StorageBox* s, const char* what) {
  View v;
  constexpr int64_t kMaxSize = (int64_t)1 << 48;
  v.ndim = (int)integer(what, 0, kMaxDims);
  v.offset = integer(what, 0, kMaxSize);
  int64_t numel = 1;
  for (int d = 0; d < v.ndim; d++) {
    v.shape[d] = integer(what, 0, kMaxSize);
    if (v.shape[d] != 0 && numel > kMaxSize / v.shape[d])
      range_error(env_, std::string(op_) + ": " + what + " has too many elements");
    numel *= v.shape[d];
  }
  int64_t last = v.offset;
  for (int d = 0; d < v.ndim; d++) {
    v.strides[d] = integer(what, 0, kMaxSize);
    if (v.shape[d] > 0) last += (v.shape[d] - 1) * v.strides[d];
  }
  if (numel > 0 && last >= s->numel)
    range_error(env_, std::string(op_) + ": " + what + " view " + shape_str(v) + " at offset " + std::to_string(v.offset) +
                          " reaches element " + std::to_string(last) + " of a storage of " + std::to_string(s->numel));
  v.base = static_cast<char*>(s->data);
  v.dtype = s->dtype;
  return v;
}

void require_same_shape(Napi::Env env, const char* op, const View& a, const View& b, const char* an, const char* bn) {
  bool same = a.ndim == b.ndim;
  for (int d = 0; same && d < a.ndim; d++) same = a.shape[d] == b.shape[d];
  if (!same)
    range_error(env, std::string(op) + ": " + an + " shape " + shape_str(a) + " does not match " + bn + " shape " +
                         shape_str(b));
}

void require_dtype(Napi::Env env, const char* op, const View& v, DType d, const char* what) {
  if (v.dtype != d)
    type_error(env, std::string(op) + ": " + what + " must be " + dtype_name(d) + ", got " + dtype_name(v.dtype));
}

void require_float(Napi::Env env, const char* op, const View& v, const char* what) {
  if (v.dtype != DType::F32 && v.dtype != DType::F64)
    type_error(env, std::string(op) + ": " + what + " must be float32 or float64, got " + dtype_name(v.dtype));
}

void require_contiguous(Napi::Env env, const char* op, const View& v, const char* what) {
  if (!v.contiguous()) range_error(env, std::string(op) + ": " + what + " must be contiguous");
}

}  // namespace binding
}  // namespace tf
