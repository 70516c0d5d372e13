#include "args.h"

#include "../common/spinlock.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <sstream>

namespace tf {
namespace binding {

namespace {

#define TF_STR2(x) #x
#define TF_STR(x) TF_STR2(x)
constexpr uint32_t fnv1a(const char* s, uint32_t h = 2166136261u) {
  return *s ? fnv1a(s + 1, (h ^ (uint8_t)*s) * 16777619u) : h;
}
// 8 bits naming this addon build (tensorforge, tensorforge_cuda, ..._emu).
constexpr uint32_t kModuleTag = fnv1a(TF_STR(NODE_GYP_MODULE_NAME)) & 0xff;
constexpr int kIndexBits = 28, kTagBits = 8, kGenBits = 53 - kIndexBits - kTagBits;
constexpr uint32_t kChunkBits = 12, kChunk = 1u << kChunkBits;
constexpr uint32_t kMaxChunks = 1u << (kIndexBits - kChunkBits);

// Slots live in fixed chunks that never move or get freed, so lookups read
// the published chunk pointers without a lock while other threads allocate.
struct BoxTable {
  std::atomic<StorageBox*> chunk[kMaxChunks] = {};
  std::atomic<uint32_t> nchunks{0};
  SpinLock mu;
  std::vector<uint32_t> free_list;
};
BoxTable& table() {
  static BoxTable* t = new BoxTable();  // never destroyed: finalizers may run during exit
  return *t;
}

}  // namespace

StorageBox* new_box(napi_env env, SlotCache* cache) {
  BoxTable& t = table();
  if (cache->n == 0) {
    std::lock_guard<SpinLock> lock(t.mu);
    if (t.free_list.empty()) {
      const uint32_t k = t.nchunks.load(std::memory_order_relaxed);
      if (k == kMaxChunks) return nullptr;
      auto* c = new StorageBox[kChunk];
      for (uint32_t i = 0; i < kChunk; i++) c[i].index = k * kChunk + i;
      t.free_list.reserve(t.free_list.size() + kChunk);
      for (uint32_t i = kChunk; i-- > 0;) t.free_list.push_back(k * kChunk + i);
      t.chunk[k].store(c, std::memory_order_release);
      t.nchunks.store(k + 1, std::memory_order_release);
    }
    // The cache pops from its end: fill it so that it hands slots out in
    // the table's order (the most recently freed first, as before).
    const uint32_t n = (uint32_t)std::min<size_t>(kSlotBatch, t.free_list.size());
    for (uint32_t i = n; i-- > 0;) {
      cache->idx[i] = t.free_list.back();
      t.free_list.pop_back();
    }
    cache->n = n;
  }
  const uint32_t idx = cache->idx[--cache->n];
  StorageBox* b = &t.chunk[idx >> kChunkBits].load(std::memory_order_relaxed)[idx & (kChunk - 1)];
  const uint32_t gen = b->gen;
  *b = StorageBox{};
  b->index = idx;
  b->gen = gen;
  b->env = env;
  return b;
}

void release_slots(SlotCache* cache) {
  BoxTable& t = table();
  std::lock_guard<SpinLock> lock(t.mu);
  while (cache->n > 0) t.free_list.push_back(cache->idx[--cache->n]);
}

void delete_boxes(StorageBox* const* boxes, size_t n) {
  BoxTable& t = table();
  std::lock_guard<SpinLock> lock(t.mu);
  for (size_t i = 0; i < n; i++) {
    StorageBox* box = boxes[i];
    box->gen = (box->gen + 1) & ((1u << kGenBits) - 1);  // its old handles go stale
    box->env = nullptr;
    box->freed = true;
    t.free_list.push_back(box->index);
  }
}

void delete_box(StorageBox* box) { delete_boxes(&box, 1); }

double handle_of(const StorageBox* box) {
  const uint64_t h = ((uint64_t)box->gen << (kIndexBits + kTagBits)) | ((uint64_t)kModuleTag << kIndexBits) | box->index;
  return (double)h;
}

StorageBox* find_box(napi_env env, double handle, Lookup* why) {
  *why = Lookup::kForeign;
  if (!(handle >= 0 && handle < 9007199254740992.0)) return nullptr;  // false for NaN
  const uint64_t h = (uint64_t)handle;
  if ((double)h != handle || ((h >> kIndexBits) & 0xff) != kModuleTag) return nullptr;
  const uint32_t idx = (uint32_t)(h & ((1u << kIndexBits) - 1));
  const uint32_t gen = (uint32_t)(h >> (kIndexBits + kTagBits));
  BoxTable& t = table();
  if ((idx >> kChunkBits) >= t.nchunks.load(std::memory_order_acquire)) return nullptr;
  StorageBox* b = &t.chunk[idx >> kChunkBits].load(std::memory_order_acquire)[idx & (kChunk - 1)];
  if (b->gen != gen || b->env != env) {
    *why = Lookup::kStale;  // returned and maybe reused since (or another thread's)
    return nullptr;
  }
  *why = Lookup::kLive;
  return b;
}

std::vector<std::pair<const char*, Fn>>& registry() {
  static std::vector<std::pair<const char*, Fn>> r;
  return r;
}

std::vector<std::pair<const char*, napi_callback>>& hot_registry() {
  static std::vector<std::pair<const char*, napi_callback>> r;
  return r;
}

std::string shape_str(const View& v) {
  std::ostringstream s;
  s << "[";
  for (int i = 0; i < v.ndim; i++) s << (i ? "," : "") << v.shape[i];
  s << "]";
  return s.str();
}

StorageBox* handle_box(Napi::Env env, double h, const char* op, const char* what, int64_t index) {
  Lookup why;
  StorageBox* box = find_box(env, h, &why);
  if (why == Lookup::kForeign)
    type_error(env, std::string(op) + ": " + what + (index < 0 ? "" : " " + std::to_string(index)) +
                        " must be a tensorforge storage handle");
  return box;
}

namespace {

// Reads argument i as a handle (TypeError unless it names a box of this addon
// and environment); a stale or disposed one gives nullptr/the freed box when
// allow_freed, else TypeError.
StorageBox* checked_box(const Napi::CallbackInfo& info, size_t i, const char* op, bool allow_freed) {
  double h = -1;  // not a handle: a non-number argument is reported as foreign too
  if (i < info.Length()) napi_get_value_double(info.Env(), info[i], &h);
  if (!allow_freed) return live_box(info.Env(), h, op, "argument", (int64_t)i);
  return handle_box(info.Env(), h, op, "argument", (int64_t)i);
}

}  // namespace

StorageBox* live_box(Napi::Env env, double h, const char* op, const char* what, int64_t index) {
  StorageBox* box = handle_box(env, h, op, what, index);
  if (!box || box->freed) type_error(env, std::string(op) + ": tensor was used after dispose()");
  return box;
}

StorageBox* optional_storage_arg(const Napi::CallbackInfo& info, size_t i, const char* op) {
  if (i >= info.Length()) return nullptr;
  napi_valuetype t = napi_undefined;
  napi_typeof(info.Env(), info[i], &t);
  return t == napi_null || t == napi_undefined ? nullptr : checked_box(info, i, op, false);
}

StorageBox* box_arg(const Napi::CallbackInfo& info, size_t i, const char* op) { return checked_box(info, i, op, true); }

StorageBox* storage_arg(const Napi::CallbackInfo& info, size_t i, const char* op) { return checked_box(info, i, op, false); }

double number_arg(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what) {
  double d = 0;
  // napi_get_value_double fails (without throwing) for non-numbers: one call, no typeof.
  if (i >= info.Length() || napi_get_value_double(info.Env(), info[i], &d) != napi_ok)
    type_error(info.Env(), std::string(op) + ": " + what + " must be a number");
  return d;
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

Meta::Meta(Napi::Env env, const char* op) : env_(env), op_(op) {
  st_ = env_.GetInstanceData<AddonState>();
  m_ = st_->meta;
}

int64_t Meta::int_arg(int i, const char* what, int64_t lo, int64_t hi) const {
  const double d = arg(i);
  if (!(d >= (double)lo && d <= (double)hi && (double)(int64_t)d == d))  // false for NaN
    range_error(env_, std::string(op_) + ": " + what + " must be an integer in [" + std::to_string(lo) + ", " +
                          std::to_string(hi) + "], got " + std::to_string(d));
  return (int64_t)d;
}

StorageBox* Meta::storage(int i, const char* what, bool optional) const {
  const double h = arg(i);
  if (optional && h == -1) return nullptr;
  return live_box(env_, h, op_, what, -1);
}

void Meta::bad_integer(const char* what, int64_t lo, int64_t hi) {
  if (pos_ >= kArgsAt) range_error(env_, std::string(op_) + ": too many view arguments");
  range_error(env_, std::string(op_) + ": " + what + " must be an integer in [" + std::to_string(lo) + ", " +
                        std::to_string(hi) + "], got " + std::to_string(m_[pos_]));
}

// Reads and checks the next view's numbers; *last is the furthest element it
// reaches (offset + sum of (size - 1) * stride), *numel its element count.
View Meta::read_view(const char* what, int64_t* numel_out, int64_t* last_out) {
  View v;
  constexpr int64_t kMaxSize = (int64_t)1 << 48;
  v.ndim = (int)integer(what, 0, kMaxDims);
  v.offset = integer(what, 0, kMaxSize);
  // Overflow-checked multiplies (not a division per dim: this runs for every
  // view of every op). Every factor is <= 2^48, so one product can overflow
  // int64 but the checks below catch it before anything wraps.
  int64_t numel = 1;
  bool too_big = false;
  for (int d = 0; d < v.ndim; d++) {
    v.shape[d] = integer(what, 0, kMaxSize);
    too_big |= __builtin_mul_overflow(numel, v.shape[d], &numel) || numel > kMaxSize;
  }
  if (too_big) range_error(env_, std::string(op_) + ": " + what + " has too many elements");
  int64_t last = v.offset;
  bool wraps = false;
  for (int d = 0; d < v.ndim; d++) {
    v.strides[d] = integer(what, 0, kMaxSize);
    int64_t reach = 0;
    if (v.shape[d] > 0) wraps |= __builtin_mul_overflow(v.shape[d] - 1, v.strides[d], &reach) || __builtin_add_overflow(last, reach, &last);
  }
  if (wraps) range_error(env_, std::string(op_) + ": " + what + " view " + shape_str(v) + " reaches past 2^63 elements");
  *numel_out = numel;
  *last_out = last;
  return v;
}

View Meta::view(StorageBox* s, const char* what) {
  int64_t numel, last;
  View v = read_view(what, &numel, &last);
  if (numel > 0 && last >= s->numel)
    range_error(env_, std::string(op_) + ": " + what + " view " + shape_str(v) + " at offset " + std::to_string(v.offset) +
                          " reaches element " + std::to_string(last) + " of a storage of " + std::to_string(s->numel));
  v.base = static_cast<char*>(s->data);
  v.dtype = s->dtype;
  return v;
}

View Meta::new_view(const char* what, int64_t* numel) {
  int64_t last;
  View v = read_view(what, numel, &last);
  if (v.offset != 0 || !v.contiguous())
    range_error(env_, std::string(op_) + ": a new " + what + " must be contiguous from offset 0, got view " + shape_str(v));
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
