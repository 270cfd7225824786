// A small persistent thread pool with one operation, parallelFor. Dispatches are short and run
// back to back, so workers stay alive between calls instead of being spawned per dispatch.
#ifndef TESSERA_RUNTIME_THREADPOOL_H
#define TESSERA_RUNTIME_THREADPOOL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tessera::runtime {

class ThreadPool {
public:
  // `numThreads` counts the calling thread, which always takes part: 1 runs everything inline
  // and starts no threads; 0 means std::thread::hardware_concurrency().
  explicit ThreadPool(unsigned numThreads);
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;
  ~ThreadPool();

  unsigned numThreads() const { return static_cast<unsigned>(workers_.size()) + 1; }

  // Calls body(i) once for every i in [0, count) and returns when all calls have finished.
  // Indices are handed out dynamically, so uneven work balances itself. Calls from several
  // threads are serialised; `body` must not call parallelFor on the same pool.
  void parallelFor(int64_t count, const std::function<void(int64_t)> &body);

private:
  void workerLoop();
  void runIndices();
  // Polls `done` for up to spinNanos_; true if it became true.
  template <typename Done> bool spinUntil(Done done) const;

  std::vector<std::thread> workers_;
  std::mutex callMutex_; // One parallelFor at a time.

  std::mutex mutex_;
  std::condition_variable workAvailable_;
  std::condition_variable workDone_;
  // Written under mutex_; atomic so that a briefly spinning thread may poll them without it.
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> generation_{0}; // Bumped for every parallelFor with work for the workers.
  std::atomic<unsigned> activeWorkers_{0}; // Workers still inside the current generation.
  // How long a thread polls before it sleeps on a condition variable (TESSERA_SPIN_US).
  int64_t spinNanos_ = 0;

  // The current job; written under mutex_ before generation_ is bumped.
  const std::function<void(int64_t)> *body_ = nullptr;
  int64_t count_ = 0;
  std::atomic<int64_t> next_{0};
};

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_THREADPOOL_H
