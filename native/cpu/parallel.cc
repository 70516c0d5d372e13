#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace tf {
namespace cpu {
namespace {

thread_local bool t_in_pool = false;

// After a job, workers spin this long for the next one before sleeping on
// the condition variable, and the caller spins as long for workers to finish.
// A sleeping thread takes a futex wake and, on a VM, an idle vCPU's wake-up
// to start: tens of µs, a tenth of a 784x100·100x500 GEMM (~260 µs), paid on
// every parallel op of a training step. OpenBLAS's threads spin likewise.
constexpr int kSpinMicros = 100;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

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

  // Lock-free: kernels ask from inside a running job (a batched matmul runs
  // one GEMM per pool thread), while run() holds submit_ for the whole job.
  int size() { return nthreads_.load(std::memory_order_relaxed); }

  void resize(int n) {
    std::lock_guard<std::mutex> g(submit_);
    stop_workers();
    nthreads_ = n;
    stop_ = false;
    // A new worker must not mistake the last finished job for a new one (it
    // would run a null job_): it starts from the current generation.
    for (int i = 1; i < n; i++) workers_.emplace_back([this, i, g = gen_.load()] { loop(i, g); });
  }

  // Runs job(t) for every t in [0, ntasks). Task 0 runs on the calling thread;
  // the others are claimed from an atomic counter by whichever thread gets
  // there first, the caller included. On a shared machine a pool thread may be
  // descheduled for milliseconds: the caller then does its tasks instead of
  // waiting, and only waits for tasks a worker actually started.
  void run(int ntasks, const std::function<void(int)>& job) {
    std::lock_guard<std::mutex> g(submit_);
    {
      std::lock_guard<std::mutex> l(m_);
      job_ = &job;
      ntasks_ = ntasks;
      next_.store(1, std::memory_order_relaxed);
      inflight_.store(0, std::memory_order_relaxed);
      gen_.store(gen_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }
    cv_.notify_all();  // no system call when every worker is still spinning
    t_in_pool = true;
    job(0);
    for (int t; (t = next_.fetch_add(1)) < ntasks;) job(t);
    t_in_pool = false;
    spin_while([&] { return inflight_.load(std::memory_order_acquire) != 0; });
    std::unique_lock<std::mutex> l(m_);
    done_.wait(l, [&] { return inflight_.load(std::memory_order_relaxed) == 0; });
    job_ = nullptr;
  }

 private:
  // Waits up to kSpinMicros while cond() holds, pausing between checks (and
  // reading the clock only every 64 of them).
  template <class Cond>
  static void spin_while(Cond cond) {
    using clock = std::chrono::steady_clock;
    const auto until = clock::now() + std::chrono::microseconds(kSpinMicros);
    for (int i = 1; cond(); i++) {
      cpu_relax();
      if (i % 64 == 0 && clock::now() > until) return;
    }
  }

  void loop(int /*idx*/, uint64_t seen) {
    t_in_pool = true;
    for (;;) {
      const std::function<void(int)>* job;
      int ntasks;
      spin_while([&] { return gen_.load(std::memory_order_acquire) == seen; });
      {
        std::unique_lock<std::mutex> l(m_);
        cv_.wait(l, [&] { return stop_ || gen_.load(std::memory_order_relaxed) != seen; });
        if (stop_) return;
        seen = gen_.load(std::memory_order_relaxed);
        if (!job_) continue;  // the caller already finished this job
        job = job_;
        ntasks = ntasks_;
        inflight_.fetch_add(1, std::memory_order_relaxed);
      }
      for (int t; (t = next_.fetch_add(1)) < ntasks;) (*job)(t);
      {
        std::lock_guard<std::mutex> l(m_);
        if (inflight_.fetch_sub(1, std::memory_order_release) == 1) done_.notify_one();
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
  // Written under m_; atomic because the spins read them without it.
  std::atomic<uint64_t> gen_{0};
  std::atomic<int> inflight_{0};
  int ntasks_ = 0;
  std::atomic<int> next_{0};
  std::atomic<int> nthreads_{1};
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

void parallel_for_split(int64_t n, int64_t grain, FnRef<void(int64_t, int64_t)> f) {
  const int nt = t_in_pool ? 1 : num_threads();
  const int64_t by_grain = grain > 0 ? n / grain : n;
  if (nt <= 1 || by_grain < 2) {
    f(0, n);
    return;
  }
  // A few tasks per thread, claimed dynamically, so a descheduled thread's
  // share is picked up by the others (see Pool::run).
  const int64_t ntasks = std::min<int64_t>(by_grain, 4 * (int64_t)nt);
  const int64_t chunk = (n + ntasks - 1) / ntasks;
  pool().run((int)ntasks, [&](int t) {
    int64_t b = t * chunk, e = std::min(n, b + chunk);
    if (b < e) f(b, e);
  });
}

}  // namespace cpu
}  // namespace tf
