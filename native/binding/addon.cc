// Addon entry: per-instance state (so the addon loads in worker threads),
// storage handles, and export of every TF_EXPORT-registered function.
#include <cstring>
#include <sstream>

#include "args.h"

namespace tf {
namespace binding {

namespace {

// Returns a box's slot once nothing can use it: its memory is released and
// no async read still holds it (else the read's completion does this).
// Bytes reported to this thread's V8 (each Node environment has its own thread
// and isolate, and finalizers run on it): memoryStats().gcOwnedBytes.
// V8 hears of the change once it reaches 256 KB either way: a call per
// tensor, at creation and again in its finalizer, was ~6% of a tiny op's
// native time (callgrind), and V8's limit moves in tens of MB.
thread_local int64_t t_gc_owned = 0, t_unreported = 0;
void report_gc_owned(Napi::BasicEnv env, int64_t delta) {
  constexpr int64_t kBatch = 256 << 10;
  t_gc_owned += delta;
  t_unreported += delta;
  if (t_unreported >= kBatch || t_unreported <= -kBatch) {
    // Cleared first: reporting growth may run a GC whose finalizers come back
    // here, and they must not report growth again from inside it (V8 aborts).
    const int64_t d = t_unreported;
    t_unreported = 0;
    Napi::MemoryManagement::AdjustExternalMemory(env, d);
  }
}

void retire_box(Napi::BasicEnv env, StorageBox* box) {
  release_storage(env, box);
  if (box->pending > 0) box->orphaned = true;
  else delete_box(box);
}

// A basic finalizer on the JS Storage object: runs inside the GC, so it must
// not touch JS; it only returns memory to the allocator.
void finalize_storage(node_api_basic_env env, void* data, void*) { retire_box(Napi::BasicEnv(env), static_cast<StorageBox*>(data)); }

// Makes `owner` (a JS object) the box's owner: the GC frees the box after it.
// V8 hears only of memory that only its GC can free: a GC-owned storage's
// bytes count towards V8's external-memory limit (reaching it starts a major
// GC, whose finalizers free them). A tidy scope frees its storages itself, so
// reporting them too only bought needless GCs: mnist-cnn allocates ~60 MB in a
// step and ran a full mark-compact every step even inside tidy (the limit is
// 64 MB above the level at the last GC).
void set_owner(Napi::Env env, StorageBox* box, napi_value owner, const char* op) {
  if (napi_add_finalizer(env, owner, box, finalize_storage, nullptr, nullptr) != napi_ok)
    type_error(env, std::string(op) + ": could not attach the storage to its owner object");
  box->owned = true;
  if (box->data) report_gc_owned(env, (int64_t)box->nbytes);
}

// Frees boxes in bulk, with one allocator lock and one box-table lock per
// 64 of them instead of two per box (a lock is ~10 ns here):
// - finalizing (an owner group's finalizer): retire_box() of each member;
// - otherwise (disposeMany): dispose_box() of each, so a freed box (or a
//   repeat) is skipped and an owned box keeps its slot for its finalizer.
// A box an async read still holds goes the one-at-a-time way, as before.
// The lists live on the stack: three vectors cost three mallocs and frees
// per call, ~2% of a tiny op (perf), as a group of 64 is freed per 64 ops.
void free_many(Napi::BasicEnv env, StorageBox* const* boxes, size_t n, bool finalizing) {
  constexpr size_t kChunk = 64;
  for (size_t i0 = 0; i0 < n; i0 += kChunk) {
    void* ps[kChunk];
    size_t sizes[kChunk];
    StorageBox* slots[kChunk];
    size_t np = 0, ns = 0;
    int64_t owned_bytes = 0;
    for (size_t i = i0; i < n && i < i0 + kChunk; i++) {
      StorageBox* box = boxes[i];
      if (!finalizing && box->freed) continue;
      if (box->pending > 0) {
        if (finalizing) retire_box(env, box);
        else if (box->owned) release_storage(env, box);
        else retire_box(env, box);
        continue;
      }
      if (box->data) {
        ps[np] = box->data;
        sizes[np++] = box->nbytes;
        if (box->owned) owned_bytes += (int64_t)box->nbytes;
      }
      box->freed = true;
      box->data = nullptr;
      if (finalizing || !box->owned) slots[ns++] = box;
    }
    backend::release_many(ps, sizes, np);
    if (owned_bytes) report_gc_owned(env, -owned_bytes);
    delete_boxes(slots, ns);
  }
}

// The group finalizer: the group's JS object was collected, and with it every
// Storage that joined (each holds it), so their boxes go. The addon state may
// still point at the group (and may already be gone at environment teardown),
// so the finalizer never touches it: the side that lets go last deletes.
void finalize_group(node_api_basic_env env, void* data, void*) {
  auto* g = static_cast<OwnerGroup*>(data);
  free_many(Napi::BasicEnv(env), g->boxes.data(), g->boxes.size(), true);
  g->boxes.clear();
  g->finalized = true;
  if (!g->current) delete g;
}

std::string number_str(double d) {
  std::ostringstream o;
  o << d;
  return o.str();
}

// A number owner names the addon's current group (newGroup's id): the box
// joins it instead of getting a finalizer of its own. Any other id is refused.
void join_group(Napi::Env env, AddonState* st, StorageBox* box, double id, const char* op) {
  if (!st->group || id != st->group_id || st->group->finalized)
    type_error(env, std::string(op) + ": owner group " + number_str(id) + " is not this addon's current group");
  st->group->boxes.push_back(box);
  box->owned = true;
  if (box->data) report_gc_owned(env, (int64_t)box->nbytes);
}

// An optional owner argument: a JS object, a group id from newGroup(), or
// null/undefined for a storage a tidy scope frees (with dispose) instead of the GC.
napi_value owner_value(Napi::Env env, napi_value v, const char* op) {
  if (!v) return nullptr;
  napi_valuetype t = napi_undefined;
  napi_typeof(env, v, &t);
  if (t == napi_null || t == napi_undefined) return nullptr;
  if (t != napi_object && t != napi_number)
    type_error(env, std::string(op) + ": owner must be an object, a group id, null or undefined");
  return v;
}
napi_value owner_arg(const Napi::CallbackInfo& info, size_t i, const char* op) {
  return i < info.Length() ? owner_value(info.Env(), info[i], op) : nullptr;
}

// Gives the box its GC owner: a group (a number owner) or a JS object.
void attach_owner(Napi::Env env, StorageBox* box, napi_value owner, const char* op) {
  napi_valuetype t = napi_undefined;
  napi_typeof(env, owner, &t);
  if (t != napi_number) return set_owner(env, box, owner, op);
  double id = 0;
  napi_get_value_double(env, owner, &id);
  join_group(env, env.GetInstanceData<AddonState>(), box, id, op);
}

StorageBox* make_storage(Napi::Env env, AddonState* st, DType dtype, int64_t numel, const char* op, napi_value owner) {
  constexpr int64_t kMax = (int64_t)1 << 46;
  if (numel < 0 || numel > kMax / 8)
    range_error(env, std::string(op) + ": cannot allocate " + std::to_string(numel) + " " + dtype_name(dtype) +
                         " elements: more than the 2^43-element limit of one tensor");
  size_t nbytes = (size_t)numel * dtype_size(dtype);
  void* p = backend::alloc(nbytes);
  if (!p)
    range_error(env, std::string(op) + ": out of memory allocating " + std::to_string(nbytes) + " bytes (" +
                         std::to_string(numel) + " " + dtype_name(dtype) + " elements) on " + backend::device_name());
  StorageBox* box = new_box(env, &st->slots);
  if (!box) {
    backend::release(p, nbytes);
    range_error(env, std::string(op) + ": too many live tensors");
  }
  box->data = p;
  box->numel = numel;
  box->nbytes = nbytes;
  box->dtype = dtype;
  if (owner) {
    try {
      attach_owner(env, box, owner, op);
    } catch (...) {
      retire_box(env, box);  // a bad owner: nobody will ever hold this handle
      throw;
    }
  }
  return box;
}

DType dtype_arg(const Napi::CallbackInfo& info, size_t i, const char* op) {
  return (DType)int_arg(info, i, op, "dtype code", 0, kNumDTypes - 1);
}

}  // namespace

OutArg::OutArg(Napi::Env env, const Meta& m, int slot, napi_value owner) : env_(env), op_(m.op()), st_(m.state()) {
  // A negative number asks for a new output; anything else must be a live handle.
  const double h = m.arg(slot);
  if (h < 0) {
    if (!(h >= -kNumDTypes && h == (double)(int64_t)h))
      type_error(env_, std::string(op_) + ": output " + std::to_string(h) + " is neither a storage handle nor -1 - a dtype code");
    fresh_ = true;
    dtype_ = (DType)(-1 - (int64_t)h);
    owner_ = owner_value(env_, owner, op_);
    if (!owner_) group_ = m.arg(kArgGroup);
  } else {
    box_ = m.storage(slot, "output");
  }
}

OutArg::~OutArg() {
  // The op threw after allocating: nobody holds the handle, so free it here.
  if (fresh_ && box_) retire_box(env_, box_);
}

View OutArg::view(Meta& m, const char* what) {
  if (!fresh_) return m.view(box_, what);
  int64_t numel;
  View v = m.new_view(what, &numel);
  box_ = make_storage(env_, st_, dtype_, numel, op_, nullptr);  // the owner comes in result(), after the op succeeded
  v.base = static_cast<char*>(box_->data);
  v.dtype = dtype_;
  return v;
}

void OutArg::like(const View& in, View* out) {
  View& v = *out;
  v.ndim = in.ndim;
  v.offset = 0;
  int64_t numel = 1;  // in was read and checked: no overflow
  for (int d = in.ndim - 1; d >= 0; d--) {
    v.shape[d] = in.shape[d];
    v.strides[d] = numel;
    numel *= in.shape[d];
  }
  box_ = make_storage(env_, st_, dtype_, numel, op_, nullptr);  // the owner comes in result()
  v.base = static_cast<char*>(box_->data);
  v.dtype = dtype_;
}

Napi::Value OutArg::result() {
  if (!fresh_) return env_.Undefined();
  // A bad owner throws, and the destructor frees the output.
  if (owner_) attach_owner(env_, box_, owner_, op_);
  else if (group_ != 0) join_group(env_, st_, box_, group_, op_);
  StorageBox* box = box_;
  box_ = nullptr;  // handed out: the destructor must not free it
  return Napi::Number::New(env_, handle_of(box));
}

// alloc(dtype, numel, owner?) -> storage handle (contents uninitialised)
TF_EXPORT(alloc) {
  DType d = dtype_arg(info, 0, "alloc");
  int64_t n = int_arg(info, 1, "alloc", "numel", 0, (int64_t)1 << 46);
  Napi::Env env = info.Env();
  return Napi::Number::New(env, handle_of(make_storage(env, env.GetInstanceData<AddonState>(), d, n, "alloc", owner_arg(info, 2, "alloc"))));
}

// adopt(storage, owner): a storage that left its tidy scope gets a GC owner.
TF_EXPORT(adopt) {
  StorageBox* box = storage_arg(info, 0, "adopt");
  napi_value owner = owner_arg(info, 1, "adopt");
  if (!owner || box->owned) type_error(info.Env(), "adopt: needs an owner (object or group id) for a storage that has none");
  attach_owner(info.Env(), box, owner, "adopt");
  return info.Env().Undefined();
}

// fromTyped(typedArray, dtype, owner?) -> storage holding a copy. The typed array's
// element size must match the dtype (TS picks the right array type).
TF_EXPORT(fromTyped) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray()) type_error(env, "fromTyped: data must be a TypedArray");
  Napi::TypedArray ta = info[0].As<Napi::TypedArray>();
  DType d = dtype_arg(info, 1, "fromTyped");
  napi_typedarray_type t = ta.TypedArrayType();
  bool ok = (d == DType::F32 && t == napi_float32_array) || (d == DType::F64 && t == napi_float64_array) ||
            (d == DType::I32 && t == napi_int32_array) ||
            (d == DType::BOOL && (t == napi_uint8_array || t == napi_int8_array));
  if (!ok) type_error(env, std::string("fromTyped: typed array type does not match dtype ") + dtype_name(d));
  Napi::ArrayBuffer ab = ta.ArrayBuffer();
  if (ab.Data() == nullptr && ta.ElementLength() > 0) type_error(env, "fromTyped: the typed array's buffer is detached");
  int64_t n = (int64_t)ta.ElementLength();
  StorageBox* box = make_storage(env, env.GetInstanceData<AddonState>(), d, n, "fromTyped", owner_arg(info, 2, "fromTyped"));
  backend::copy_from_host(box->data, static_cast<char*>(ab.Data()) + ta.ByteOffset(), box->nbytes);
  return Napi::Number::New(env, handle_of(box));
}

// toTyped(storage) with the view in meta -> a new typed array holding a
// contiguous copy of the view.
TF_EXPORT(toTyped) {
  Napi::Env env = info.Env();
  StorageBox* s = storage_arg(info, 0, "toTyped");
  Meta m(info, "toTyped");
  View v = m.view(s, "tensor");
  int64_t n = v.numel();
  size_t es = dtype_size(v.dtype);
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, (size_t)n * es);
  if (n > 0) {
    if (v.contiguous()) {
      backend::copy_to_host(ab.Data(), static_cast<char*>(s->data) + v.offset * es, (size_t)n * es);
    } else {
      // Gather on the device into a contiguous temporary, then copy it out.
      void* tmp = backend::alloc((size_t)n * es);
      if (!tmp) range_error(env, "toTyped: out of memory");
      View out = v;
      out.base = static_cast<char*>(tmp);
      out.offset = 0;
      int64_t st = 1;
      for (int d = v.ndim - 1; d >= 0; d--) { out.strides[d] = st; st *= v.shape[d]; }
      backend::cast(out, v);
      backend::copy_to_host(ab.Data(), tmp, (size_t)n * es);
      backend::release(tmp, (size_t)n * es);
    }
  }
  switch (v.dtype) {
    case DType::F32: return Napi::Float32Array::New(env, (size_t)n, ab, 0);
    case DType::F64: return Napi::Float64Array::New(env, (size_t)n, ab, 0);
    case DType::I32: return Napi::Int32Array::New(env, (size_t)n, ab, 0);
    default: return Napi::Uint8Array::New(env, (size_t)n, ab, 0);
  }
}

// dispose(storage): frees now; later use throws, a second dispose is a no-op.
// A box without a GC owner returns its slot at once (its handle goes stale).
static void dispose_box(Napi::Env env, StorageBox* box) {
  if (box && !box->freed) {
    if (box->owned) release_storage(env, box);
    else retire_box(env, box);
  }
}

// disposeMany(handles: Float64Array, n): dispose() of handles[0..n), in one
// call (a tidy scope's end frees all its tensors at once).
TF_EXPORT(disposeMany) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    type_error(env, "disposeMany: handles must be a Float64Array");
  Napi::Float64Array hs = info[0].As<Napi::Float64Array>();
  const int64_t n = int_arg(info, 1, "disposeMany", "count", 0, (int64_t)hs.ElementLength());
  // Every handle is checked before any is freed: a bad one frees nothing.
  std::vector<StorageBox*> boxes;
  boxes.reserve((size_t)n);
  for (int64_t i = 0; i < n; i++)
    if (StorageBox* box = handle_box(env, hs.Data()[i], "disposeMany", "element", i)) boxes.push_back(box);
  free_many(env, boxes.data(), boxes.size(), false);
  return env.Undefined();
}

TF_EXPORT(dispose) {
  Napi::Env env = info.Env();
  dispose_box(env, box_arg(info, 0, "dispose"));
  return env.Undefined();
}

void release_storage(Napi::BasicEnv env, StorageBox* box) {
  if (box->pending > 0) {
    box->freed = true;
    box->release_when_idle = true;
    return;
  }
  if (box->data) {
    backend::release(box->data, box->nbytes);
    if (box->owned) report_gc_owned(env, -(int64_t)box->nbytes);
  }
  box->freed = true;
  box->data = nullptr;
}

namespace {

// Copies a view into a fresh buffer on a libuv worker thread, so a large read
// (or, on CUDA, the wait for the device) does not block the event loop.
class ReadWorker : public Napi::AsyncWorker {
 public:
  ReadWorker(Napi::Env env, StorageBox* box, const View& v)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), box_(box), view_(v) {
    box_->pending++;  // a dispose or finalizer meanwhile leaves the memory and slot to finish()
    bytes_ = (size_t)view_.numel() * dtype_size(view_.dtype);
    out_ = Napi::Persistent(Napi::ArrayBuffer::New(env, bytes_));
    dst_ = out_.Value().Data();
  }
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    if (bytes_ == 0) return;
    size_t es = dtype_size(view_.dtype);
    if (view_.contiguous()) {
      backend::copy_to_host(dst_, view_.base + view_.offset * es, bytes_);
      return;
    }
    void* tmp = backend::alloc(bytes_);
    if (!tmp) {
      SetError("toTypedAsync: out of memory");
      return;
    }
    View out = view_;
    out.base = static_cast<char*>(tmp);
    out.offset = 0;
    int64_t st = 1;
    for (int d = view_.ndim - 1; d >= 0; d--) { out.strides[d] = st; st *= view_.shape[d]; }
    backend::cast(out, view_);
    backend::copy_to_host(dst_, tmp, bytes_);
    backend::release(tmp, bytes_);
  }
  void OnOK() override {
    Napi::Env env = Env();
    finish(env);
    size_t n = (size_t)view_.numel();
    Napi::ArrayBuffer ab = out_.Value();
    switch (view_.dtype) {
      case DType::F32: deferred_.Resolve(Napi::Float32Array::New(env, n, ab, 0)); break;
      case DType::F64: deferred_.Resolve(Napi::Float64Array::New(env, n, ab, 0)); break;
      case DType::I32: deferred_.Resolve(Napi::Int32Array::New(env, n, ab, 0)); break;
      default: deferred_.Resolve(Napi::Uint8Array::New(env, n, ab, 0)); break;
    }
  }
  void OnError(const Napi::Error& e) override {
    finish(Env());
    deferred_.Reject(Napi::RangeError::New(Env(), e.Message()).Value());
  }

 private:
  void finish(Napi::Env env) {
    if (--box_->pending > 0) return;
    if (box_->release_when_idle) {
      box_->release_when_idle = false;
      release_storage(env, box_);
    }
    if (box_->orphaned) delete_box(box_);
  }
  Napi::Promise::Deferred deferred_;
  Napi::Reference<Napi::ArrayBuffer> out_;
  StorageBox* box_;
  View view_;
  size_t bytes_ = 0;
  void* dst_ = nullptr;
};

}  // namespace

// toTypedAsync(storage) with the view in meta -> Promise of a typed-array copy.
TF_EXPORT(toTypedAsync) {
  StorageBox* s = storage_arg(info, 0, "dataAsync");
  Meta m(info, "dataAsync");
  View v = m.view(s, "tensor");
  auto* w = new ReadWorker(info.Env(), s, v);
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

TF_EXPORT(isDisposed) {
  Napi::Env env = info.Env();
  StorageBox* box = box_arg(info, 0, "isDisposed");
  return Napi::Boolean::New(env, !box || box->freed);
}

TF_EXPORT(memoryStats) {
  Napi::Env env = info.Env();
  backend::MemoryStats st = backend::memory_stats();
  Napi::Object o = Napi::Object::New(env);
  o.Set("liveBytes", (double)st.live_bytes);
  o.Set("cachedBytes", (double)st.cached_bytes);
  o.Set("peakBytes", (double)st.peak_bytes);
  o.Set("allocations", (double)st.allocs);
  o.Set("gcOwnedBytes", (double)t_gc_owned);
  return o;
}

TF_EXPORT(emptyCache) {
  backend::empty_cache();
  return info.Env().Undefined();
}

TF_EXPORT(deviceInfo) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("device", backend::device_name());
  const char* why = backend::unavailable_reason();
  o.Set("available", why == nullptr);
  o.Set("reason", why ? Napi::Value(Napi::String::New(env, why)) : env.Null());
  return o;
}

// newGroup(obj) -> id: makes a new owner group, owned by `obj`, the addon's
// current group; its id is the owner that makes a storage join it. Small
// GC-owned storages share one finalizer this way (a finalizer each was ~120 ns
// per tensor, as much as the rest of a 4-element add); each Storage holds the
// group object, so the group's boxes go when its last Storage does. The cost:
// until then a group keeps its already-dead members' memory, which the
// library bounds by joining only storages of at most 256 bytes, 64 per group
// (16 KB). The object comes from JS: making it here cost ~0.5 us more.
TF_EXPORT(newGroup) {
  Napi::Env env = info.Env();
  AddonState* st = env.GetInstanceData<AddonState>();
  napi_valuetype t = napi_undefined;
  if (info.Length() > 0) napi_typeof(env, info[0], &t);
  if (t != napi_object) type_error(env, "newGroup: the group's owner must be an object");
  auto* g = new OwnerGroup();
  g->boxes.reserve(64);  // the library's group size (GROUP_SIZE in storage.ts): no regrowth
  if (napi_add_finalizer(env, info[0], g, finalize_group, nullptr, nullptr) != napi_ok) {
    delete g;
    type_error(env, "newGroup: could not attach the group to its object");
  }
  if (OwnerGroup* old = st->group) {
    old->current = false;
    if (old->finalized) delete old;
  }
  st->group = g;
  st->group_id += 1;
  st->meta[kArgsAt + kArgGroupId] = st->group_id;
  return Napi::Number::New(env, st->group_id);
}

static void cleanup_state(Napi::Env, AddonState* st) {
  // Group finalizers may run before or after this at teardown; see finalize_group.
  if (OwnerGroup* g = st->group) {
    g->current = false;
    if (g->finalized) delete g;
  }
  release_slots(&st->slots);
  delete st;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* st = new AddonState();
  Napi::Float64Array meta = Napi::Float64Array::New(env, kMetaLen);
  st->meta = meta.Data();
  st->meta_ref = Napi::Persistent(meta);
  env.SetInstanceData<AddonState, cleanup_state>(st);
  exports.Set("meta", meta);
  exports.Set("args", Napi::Float64Array::New(env, kArgsLen, meta.ArrayBuffer(), kArgsAt * sizeof(double)));
  exports.Set("abiVersion", Napi::Number::New(env, 1));
  for (auto& [name, fn] : registry()) exports.Set(name, Napi::Function::New(env, fn, name));
  for (auto& [name, cb] : hot_registry()) {
    napi_value fn;
    NAPI_THROW_IF_FAILED(env, napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, st, &fn), exports);
    exports.Set(name, Napi::Value(env, fn));
  }
  return exports;
}

}  // namespace binding
}  // namespace tf

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return tf::binding::Init(env, exports); }
NODE_API_MODULE(NODE_GYP_MODULE_NAME, InitAddon)
