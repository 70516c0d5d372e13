// A persistent thread pool shared by every kernel (and every addon instance in
// the process). Work is split only when each thread gets at least `grain`
// iterations: below that, waking threads costs more than it saves.
#pragma once
#include <cstdint>
#include <functional>
#include <type_traits>

namespace tf {
namespace cpu {

int num_threads();
void set_num_threads(int n);

// A non-owning reference to a callable: unlike std::function it never
// allocates, which matters when a tiny op's whole budget is a few hundred ns.
template <class Sig>
class FnRef;
template <class R, class... A>
class FnRef<R(A...)> {
 public:
  template <class F>
  FnRef(F&& f) : obj_((void*)&f), call_([](void* o, A... a) -> R { return (*static_cast<std::remove_reference_t<F>*>(o))(a...); }) {}
  R operator()(A... a) const { return call_(obj_, a...); }

 private:
  void* obj_;
  R (*call_)(void*, A...);
};

void parallel_for_split(int64_t n, int64_t grain, FnRef<void(int64_t, int64_t)> f);

// Runs f(begin, end) over disjoint ranges covering [0, n). Nested calls (from
// inside a pool thread) and ranges under two grains run inline, here, with no
// indirection.
template <class F>
inline void parallel_for(int64_t n, int64_t grain, F&& f) {
  if (n <= 0) return;
  if (grain > 0 && n < 2 * grain) {
    f((int64_t)0, n);
    return;
  }
  parallel_for_split(n, grain, FnRef<void(int64_t, int64_t)>(f));
}

// Elementwise work is split only above this many elements (PyTorch uses 32K).
constexpr int64_t kPointwiseGrain = 32768;

}  // namespace cpu
}  // namespace tf
