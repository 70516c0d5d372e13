// A persistent thread pool shared by every kernel (and every addon instance in
// the process). Work is split only when each thread gets at least `grain`
// iterations: below that, waking threads costs more than it saves.
#pragma once
#include <cstdint>
#include <functional>

namespace tf {
namespace cpu {

int num_threads();
void set_num_threads(int n);

// Runs f(begin, end) over disjoint ranges covering [0, n). Nested calls (from
// inside a pool thread) run inline.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& f);

// Elementwise work is split only above this many elements (PyTorch uses 32K).
constexpr int64_t kPointwiseGrain = 32768;

}  // namespace cpu
}  // namespace tf
