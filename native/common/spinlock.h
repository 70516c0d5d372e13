// A lock for critical sections of a few instructions (a free-list push or
// pop on every tensor allocation and release): taking it is one atomic
// exchange and releasing it one store, where std::mutex costs a locked
// instruction both ways plus a call. Waiters yield, so a holder that was
// descheduled is not starved by spinning threads.
#pragma once
#include <atomic>
#include <thread>

namespace tf {

class SpinLock {
 public:
  void lock() {
    while (held_.exchange(true, std::memory_order_acquire))
      while (held_.load(std::memory_order_relaxed)) std::this_thread::yield();
  }
  void unlock() { held_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> held_{false};
};

}  // namespace tf
