// Argument checking at the N-API boundary. Every handle, number and view that
// JS passes is validated here before a kernel sees it; failures become JS
// TypeError/RangeError naming the op. Views arrive through the per-instance
// `meta` Float64Array (written by src/backend/meta.ts) to avoid marshalling
// arrays on every call: [ndim, offset, shape..., strides...] per view.
#pragma once
#include <napi.h>

#include <cmath>
#include <string>
#include <vector>

#include "../common/backend.h"

namespace tf {
namespace binding {

constexpr int kMetaLen = 4096;
// The last kArgsLen slots of meta carry the hot ops' plain numbers (op code,
// handles, scalars; JS sees them as `args`): unary and binary read them there
// instead of as N-API arguments, where each napi_get_value_double/typeof
// costs ~8 ns, ~10% of a 4-element add. Views use the slots before kArgsAt.
constexpr int kArgsLen = 8, kArgsAt = kMetaLen - kArgsLen;
// The last args slot is written by the addon, not JS: the current owner
// group's id (see newGroup), so JS can tell when someone else replaced it.
constexpr int kArgGroupId = kArgsLen - 1;

struct StorageBox {
  void* data = nullptr;
  int64_t numel = 0;
  size_t nbytes = 0;
  DType dtype = DType::F32;
  bool freed = false;
  // Async reads in flight (see toTypedAsync): a dispose() meanwhile only marks
  // the box freed for JS; the memory is released when the last read finishes.
  int pending = 0;
  bool release_when_idle = false;
  // Set when the box's owner went away (collected or disposed) during an
  // async read: the read's completion then returns the slot.
  bool orphaned = false;
  // True once a GC finalizer on a JS object will return this slot; boxes a
  // tidy scope owns have none, and dispose() returns them at once.
  bool owned = false;
  // Slot index and generation (bumped on reuse, so stale handles are caught).
  uint32_t index = 0;
  uint32_t gen = 0;
  napi_env env = nullptr;  // the Node environment (thread) that made it
};

// Storage handles are plain JS numbers: slot index, module tag and slot
// generation packed into a double's 53 integer bits. A number costs nothing
// to create, where a V8 External with a finalizer costs ~1 us per tensor; the
// lifetime comes from a finalizer on the JS Storage object instead (or from a
// tidy scope, with no finalizer at all). A handle is accepted only if its tag
// is this module's (CPU, CUDA and the emulator are separate addons), its slot
// is live in this environment and its generation matches.
//
// Free slots an addon instance takes from the shared table kSlotBatch at a
// time, so making a box usually takes no lock (the table lock's atomic
// exchange was ~4% of a tiny op in perf). Boxes are made on their env's
// thread only, so the cache needs no lock of its own; slots go back to the
// shared table when boxes are deleted (in batches) and at env teardown.
constexpr uint32_t kSlotBatch = 64;
struct SlotCache {
  uint32_t n = 0;
  uint32_t idx[kSlotBatch];
};
// A new box for env, its slot from `cache`; nullptr when every slot is taken.
StorageBox* new_box(napi_env env, SlotCache* cache);
// Returns a cache's slots to the shared table (env teardown).
void release_slots(SlotCache* cache);
void delete_box(StorageBox* box);
// delete_box() of n boxes under one lock (an owner group's members).
void delete_boxes(StorageBox* const* boxes, size_t n);
double handle_of(const StorageBox* box);
enum class Lookup { kLive, kStale, kForeign };
StorageBox* find_box(napi_env env, double handle, Lookup* why);
// find_box, with a TypeError naming `what` and `index` (e.g. "argument 2"; no
// index for -1) if the number is no handle of this addon; nullptr for a stale one (disposed,
// slot since reused). The message is built only on that error path: this runs
// for every tensor argument of every op.
StorageBox* handle_box(Napi::Env env, double handle, const char* op, const char* what, int64_t index);

// Releases a box's memory (now, or after in-flight async reads) and reports it to V8.
void release_storage(Napi::BasicEnv env, StorageBox* box);

// Small storages the GC owns in groups (see newGroup in addon.cc): one JS
// object and one finalizer for up to a few dozen of them.
struct OwnerGroup {
  std::vector<StorageBox*> boxes;
  bool current = true;     // the addon state still points here
  bool finalized = false;  // its JS object was collected (boxes retired)
};

// Per addon instance (one per Node worker thread), so the addon is context-aware.
struct AddonState {
  Napi::Reference<Napi::Float64Array> meta_ref;
  double* meta = nullptr;
  OwnerGroup* group = nullptr;  // the group new small storages may join
  double group_id = 0;          // its id (ids count up from 1)
  SlotCache slots;              // free box slots of this instance (see new_box)
};

[[noreturn]] inline void type_error(Napi::Env env, const std::string& m) { throw Napi::TypeError::New(env, m); }
[[noreturn]] inline void range_error(Napi::Env env, const std::string& m) { throw Napi::RangeError::New(env, m); }

std::string shape_str(const View& v);

// The live storage that handle h (`what` `index`, or just `what` for index
// -1) names; TypeError otherwise.
StorageBox* live_box(Napi::Env env, double h, const char* op, const char* what, int64_t index);
// Reads a storage handle from argument i (TypeError if it is not a live one).
StorageBox* storage_arg(const Napi::CallbackInfo& info, size_t i, const char* op);
// Same, but a disposed handle gives nullptr or its freed box (for dispose() and isDisposed()).
StorageBox* box_arg(const Napi::CallbackInfo& info, size_t i, const char* op);
// Same as storage_arg, but null/undefined gives nullptr.
StorageBox* optional_storage_arg(const Napi::CallbackInfo& info, size_t i, const char* op);
double number_arg(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what);
int64_t int_arg(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what, int64_t lo, int64_t hi);
bool bool_arg(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what);

// Sequential reader over the meta buffer.
class Meta {
 public:
  Meta(Napi::Env env, const char* op);
  Meta(const Napi::CallbackInfo& info, const char* op) : Meta(info.Env(), op) {}
  // With the addon state at hand (a hot op's callback data): no lookup.
  Meta(Napi::Env env, const char* op, AddonState* st) : env_(env), op_(op), st_(st), m_(st->meta) {}
  // Reads the next view and validates it against storage `s`.
  View view(StorageBox* s, const char* what);
  // Reads the next view for a storage not yet allocated: it must be
  // contiguous from offset 0; *numel is what to allocate. base/dtype unset.
  View new_view(const char* what, int64_t* numel);
  // Consumes a -1 where a view would start: a new output whose view is
  // implied by the input view that follows (see OutArg::implied).
  bool take_implied() {
    if (pos_ < kArgsAt && m_[pos_] == -1) {
      pos_++;
      return true;
    }
    return false;
  }
  // Reads the next integer, which must lie in [lo, hi]. Inline, without
  // floor(): this runs a dozen times per op, and the check is two compares.
  int64_t integer(const char* what, int64_t lo, int64_t hi) {
    if (pos_ < kArgsAt) {
      double d = m_[pos_];
      if (d >= (double)lo && d <= (double)hi && (double)(int64_t)d == d) {  // false for NaN
        pos_++;
        return (int64_t)d;
      }
    }
    bad_integer(what, lo, hi);
  }

  // Hot-op argument slot i (see kArgsAt), as it is.
  double arg(int i) const { return m_[kArgsAt + i]; }
  // Slot i as an integer in [lo, hi] (RangeError naming `what` otherwise).
  int64_t int_arg(int i, const char* what, int64_t lo, int64_t hi) const;
  // Slot i as a live storage handle (TypeError naming `what` otherwise);
  // -1 gives nullptr when `optional`.
  StorageBox* storage(int i, const char* what, bool optional = false) const;
  // The op name errors give, once the op code has been read.
  void rename(const char* op) { op_ = op; }
  const char* op() const { return op_; }
  Napi::Env env() const { return env_; }
  AddonState* state() const { return st_; }

 private:
  [[noreturn]] void bad_integer(const char* what, int64_t lo, int64_t hi);
  View read_view(const char* what, int64_t* numel, int64_t* last);
  Napi::Env env_;
  const char* op_;
  AddonState* st_;
  const double* m_;
  int pos_ = 0;
};

// An op's output (a hot-op argument slot): a storage handle, or (-1 - dtype code) asking the
// op to allocate its output itself, which saves a tiny op a whole N-API call
// (alloc, then the op). A new output is sized by its view (contiguous from
// offset 0), gets argument owner_index as its GC owner like alloc's, or
// else joins the owner group whose id is in args slot kArgGroup (0: none; a
// tidy scope owns it), and is freed again if the op throws before result().
class OutArg {
 public:
  // The output named by hot-op argument slot `slot` of m; `owner` is the
  // op's owner argument as passed (nullptr when there is none).
  OutArg(Napi::Env env, const Meta& m, int slot, napi_value owner);
  // The args slot a group id may come in: a plain number, so not an argument
  // (checking an owner argument's type costs a tiny op ~25 ns).
  static constexpr int kArgGroup = 5;
  ~OutArg();
  OutArg(const OutArg&) = delete;
  OutArg& operator=(const OutArg&) = delete;
  // The output's view, the next one in meta (allocating a new output).
  View view(Meta& m, const char* what);
  // True when a new output's view is implied: meta holds -1 instead of it,
  // and the output is contiguous, shaped like the input view read next (JS
  // writes this for same-shape ops: reading and checking an output view was
  // ~150 instructions of a 4-element add). Then like() allocates it and
  // fills *out in place.
  bool implied(Meta& m) { return fresh_ && m.take_implied(); }
  void like(const View& in, View* out);
  // What the op returns: the new output's handle (now owned), or undefined.
  Napi::Value result();

 private:
  Napi::Env env_;
  const char* op_;
  StorageBox* box_ = nullptr;  // the existing output, or the new one once allocated
  bool fresh_ = false;         // allocated by this op
  DType dtype_ = DType::F32;   // of a new output
  napi_value owner_ = nullptr;
  double group_ = 0;  // owner group id from args, when there is no owner argument
  AddonState* st_;
};

// A View whose shape and strides are left unset, for a variable filled in
// later. A View is 280 bytes: View() zeroes it and assigning one copies it
// (rep stos / rep movs, ~30 cycles to start each), which took a third of a
// tiny binary op's own time; ops build each view once, in place.
inline View unset_view() {
  View v;
  return v;
}

void require_same_shape(Napi::Env env, const char* op, const View& a, const View& b, const char* an, const char* bn);
void require_dtype(Napi::Env env, const char* op, const View& v, DType d, const char* what);
void require_float(Napi::Env env, const char* op, const View& v, const char* what);
void require_contiguous(Napi::Env env, const char* op, const View& v, const char* what);

// Registration: every binding file adds its functions with TF_EXPORT, so adding
// an op never means editing a central list.
using Fn = Napi::Value (*)(const Napi::CallbackInfo&);
std::vector<std::pair<const char*, Fn>>& registry();
struct Registrar {
  Registrar(const char* name, Fn f) { registry().emplace_back(name, f); }
};

// The hot ops (unary, binary: every tiny op) are plain N-API callbacks that
// read their one optional argument themselves: node-addon-api's wrapper
// builds a CallbackInfo (napi_get_cb_info for six arguments, `this` and
// data) around every call, ~150 instructions of a 4-element add's ~2650.
// Their callback data is the addon state, which napi_get_cb_info hands over
// with the argument (napi_get_instance_data would be another call). Errors
// are thrown as C++ exceptions, as in TF_EXPORT functions.
using HotFn = napi_value (*)(Napi::Env env, napi_value arg, AddonState* st);
std::vector<std::pair<const char*, napi_callback>>& hot_registry();
struct HotRegistrar {
  HotRegistrar(const char* name, napi_callback f) { hot_registry().emplace_back(name, f); }
};
template <HotFn F>
napi_value hot_callback(napi_env env, napi_callback_info cb) {
  size_t argc = 1;
  napi_value arg = nullptr;
  void* st = nullptr;
  napi_get_cb_info(env, cb, &argc, &arg, nullptr, &st);
  try {
    return F(Napi::Env(env), argc > 0 ? arg : nullptr, static_cast<AddonState*>(st));
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();
    return nullptr;
  }
}

}  // namespace binding
}  // namespace tf

#define TF_EXPORT_HOT(name)                                                                   \
  static napi_value name(Napi::Env env, napi_value arg, ::tf::binding::AddonState* st);      \
  static ::tf::binding::HotRegistrar tf_reg_##name(#name, ::tf::binding::hot_callback<name>); \
  static napi_value name(Napi::Env env, napi_value arg, ::tf::binding::AddonState* st)

#define TF_EXPORT(name)                                                       \
  static Napi::Value name(const Napi::CallbackInfo& info);                   \
  static ::tf::binding::Registrar tf_reg_##name(#name, name);                \
  static Napi::Value name(const Napi::CallbackInfo& info)
