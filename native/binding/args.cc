#include "args.h"

#include <sstream>

namespace tf {
namespace binding {

// Tag that marks Externals created by this addon; handles from elsewhere (or
// plain objects) are rejected instead of being reinterpreted.
static const napi_type_tag kStorageTag = {0x7f3a9c2e5b1d4e60ULL, 0x9a8b7c6d5e4f3021ULL};
const napi_type_tag* storage_tag() { return &kStorageTag; }

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

StorageBox* storage_arg(const Napi::CallbackInfo& info, size_t i, const char* op) {
  Napi::Env env = info.Env();
  if (i >= info.Length() || !info[i].IsExternal())
    type_error(env, std::string(op) + ": argument " + std::to_string(i) + " must be a tensor storage handle");
  Napi::Object o = info[i].As<Napi::Object>();
  if (!o.CheckTypeTag(&kStorageTag))
    type_error(env, std::string(op) + ": argument " + std::to_string(i) + " is not a tensorforge storage handle");
  auto* box = info[i].As<Napi::External<StorageBox>>().Data();
  if (box->freed) type_error(env, std::string(op) + ": tensor was used after dispose()");
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

int64_t Meta::integer(const char* what, int64_t lo, int64_t hi) {
  if (pos_ >= kMetaLen) range_error(env_, std::string(op_) + ": too many view arguments");
  double d = m_[pos_++];
  if (!std::isfinite(d) || d != std::floor(d) || d < (double)lo || d > (double)hi)
    range_error(env_, std::string(op_) + ": " + what + " must be an integer in [" + std::to_string(lo) + ", " +
                          std::to_string(hi) + "], got " + std::to_string(d));
  return (int64_t)d;
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
