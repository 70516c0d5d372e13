// Thread teams behind the CUDA emulator (see cuda_emu.h).
#include "cuda_emu.h"

#include <algorithm>
#include <barrier>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

thread_local uint3 threadIdx;
thread_local uint3 blockIdx;
thread_local dim3 blockDim;
thread_local dim3 gridDim;

namespace tf_emu {

thread_local ThreadCtx ctx;

// One std::thread per emulated thread of a block. The team runs a whole grid:
// every thread walks the blocks in order and meets the others at a barrier
// after each block, so no thread starts block b+1 (reusing __shared__ statics)
// while another is still inside block b.
class Team {
 public:
  explicit Team(unsigned n) : n_(n), block_bar_((std::ptrdiff_t)n), slots_{std::vector<uint64_t>(n), std::vector<uint64_t>(n)} {
    for (unsigned w = 0; w * 32 < n; w++)
      warp_bars_.push_back(std::make_unique<std::barrier<>>((std::ptrdiff_t)std::min(32u, n - w * 32)));
    // Detached and never destroyed: teams live for the process, and joining
    // threads during static destruction at exit would only add shutdown hazards.
    for (unsigned i = 0; i < n; i++) std::thread([this, i] { loop(i); }).detach();
  }

  void run(dim3 grid, dim3 block, const std::function<void()>& body) {
    {
      std::lock_guard<std::mutex> l(m_);
      job_ = &body;
      grid_ = grid;
      block_ = block;
      remaining_ = n_;
      gen_++;
    }
    start_cv_.notify_all();
    std::unique_lock<std::mutex> l(m_);
    done_cv_.wait(l, [&] { return remaining_ == 0; });
  }

  void sync() { block_bar_.arrive_and_wait(); }
  void warp_sync() { warp_bars_[ctx.linear / 32]->arrive_and_wait(); }

  // Double-buffered slots: one barrier per shuffle. A lane can write this
  // buffer again only two shuffles later, after the next barrier, which every
  // lane reaches only once it has read this one.
  uint64_t exchange(uint64_t mine, int src_lane) {
    const unsigned me = ctx.linear, src = (me & ~31u) + (unsigned)src_lane;
    std::vector<uint64_t>& slots = slots_[ctx.shuffle_parity];
    ctx.shuffle_parity ^= 1;
    slots[me] = mine;
    warp_sync();
    return src < n_ ? slots[src] : mine;
  }

 private:
  void loop(unsigned id) {
    ctx.team = this;
    ctx.linear = id;
    uint64_t seen = 0;
    for (;;) {
      const std::function<void()>* job;
      dim3 g, b;
      {
        std::unique_lock<std::mutex> l(m_);
        start_cv_.wait(l, [&] { return gen_ != seen; });
        seen = gen_;
        job = job_;
        g = grid_;
        b = block_;
      }
      blockDim = b;
      gridDim = g;
      ctx.shuffle_parity = 0;  // lanes of a warp shuffle in lockstep within a launch
      threadIdx = {id % b.x, (id / b.x) % b.y, id / (b.x * b.y)};
      for (unsigned z = 0; z < g.z; z++)
        for (unsigned y = 0; y < g.y; y++)
          for (unsigned x = 0; x < g.x; x++) {
            blockIdx = {x, y, z};
            (*job)();
            block_bar_.arrive_and_wait();
          }
      std::lock_guard<std::mutex> l(m_);
      if (--remaining_ == 0) done_cv_.notify_one();
    }
  }

  const unsigned n_;
  std::barrier<> block_bar_;
  std::vector<std::unique_ptr<std::barrier<>>> warp_bars_;
  std::vector<uint64_t> slots_[2];
  std::mutex m_;
  std::condition_variable start_cv_, done_cv_;
  uint64_t gen_ = 0;
  unsigned remaining_ = 0;
  const std::function<void()>* job_ = nullptr;
  dim3 grid_, block_;
};

void launch(dim3 grid, dim3 block, const std::function<void()>& body) {
  static std::mutex mu;
  static std::map<unsigned, Team*> teams;
  const unsigned n = block.x * block.y * block.z;
  if (n == 0 || grid.x == 0 || grid.y == 0 || grid.z == 0) return;
  std::lock_guard<std::mutex> l(mu);
  Team*& t = teams[n];
  if (!t) t = new Team(n);
  t->run(grid, block, body);
}

void syncthreads() { ctx.team->sync(); }
void syncwarp() { ctx.team->warp_sync(); }
uint64_t exchange(uint64_t mine, int src_lane) { return ctx.team->exchange(mine, src_lane); }

}  // namespace tf_emu
