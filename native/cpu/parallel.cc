#include "parallel.h"

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace tf {
namespace cpu {
namespace {

thread_local bool t_in_pool = false;

class Pool {
 public:
  Pool() {
    int n = (int)std::thread::hardware_concurrency();
    if (const char* e = std::getenv("TENSORFORGE_NUM_THREADS")) {
      int v = std::atoi(e);
      if (v > 0) n = v;
    }
    resize(std::max(1, std::min(n, 256)));
  }
  ~Pool() { stop_workers(); }

  int size() {
    std::lock_guard<std::mutex> g(submit_);
    return nthreads_;
  }

  void resize(int n) {
    std::lock_guard<std::mutex> g(submit_);
    stop_workers();
    nthreads_ = n;
    stop_ = false;
    // Workers start at the current generation: one that started at 0 would
    // take the last (finished, null) job as new after a resize and crash.
    for (int i = 1; i < n; i++) workers_.emplace_back([this, i, g = gen_] { loop(i, g); });
  }

  // Runs job(t) for t in [0, nt) with t == 0 on the calling thread.
  void run(int nt, const std::function<void(int)>& job) {
    std::lock_guard<std::mutex> g(submit_);
    nt = std::min(nt, nthreads_);
    {
      std::lock_guard<std::mutex> l(m_);
      job_ = &job;
      active_ = nt;
      pending_ = nt - 1;
      gen_++;
    }
    cv_.notify_all();
    t_in_pool = true;
    job(0);
    t_in_pool = false;
    std::unique_lock<std::mutex> l(m_);
    done_.wait(l, [&] { return pending_ == 0; });
    job_ = nullptr;
  }

 private:
  void loop(int idx, uint64_t seen) {
    t_in_pool = true;
    for (;;) {
      const std::function<void(int)>* job;
      {
        std::unique_lock<std::mutex> l(m_);
        cv_.wait(l, [&] { return stop_ || gen_ != seen; });
        if (stop_) return;
        seen = gen_;
        if (idx >= active_) continue;
        job = job_;
      }
      (*job)(idx);
      {
        std::lock_guard<std::mutex> l(m_);
        if (--pending_ == 0) done_.notify_one();
      }
    }
  }
  void stop_workers() {
    {
      std::lock_guard<std::mutex> l(m_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  std::mutex submit_, m_;
  std::condition_variable cv_, done_;
  std::vector<std::thread> workers_;
  const std::function<void(int)>* job_ = nullptr;
  uint64_t gen_ = 0;
  int active_ = 0, pending_ = 0, nthreads_ = 1;
  bool stop_ = false;
};

Pool& pool() {
  // Leaked on purpose: joining threads from a static destructor at process exit
  // can deadlock if exit() runs while a worker thread is still in a kernel.
  static Pool* p = new Pool();
  return *p;
}

}  // namespace

int num_threads() { return pool().size(); }
void set_num_threads(int n) { pool().resize(std::max(1, std::min(n, 256))); }

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& f) {
  if (n <= 0) return;
  int nt = t_in_pool ? 1 : num_threads();
  int64_t by_grain = grain > 0 ? n / grain : n;
  if (by_grain < nt) nt = (int)std::max<int64_t>(1, by_grain);
  if (nt <= 1) {
    f(0, n);
    return;
  }
  int64_t chunk = (n + nt - 1) / nt;
  pool().run(nt, [&](int t) {
    int64_t b = t * chunk, e = std::min(n, b + chunk);
    if (b < e) f(b, e);
  });
}

}  // namespace cpu
}  // namespace tf
