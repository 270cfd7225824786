#include "tessera/ThreadPool.h"

#include <algorithm>

namespace tessera::runtime {

ThreadPool::ThreadPool(unsigned numThreads) {
  if (numThreads == 0)
    numThreads = std::max(1u, std::thread::hardware_concurrency());
  workers_.reserve(numThreads - 1);
  for (unsigned i = 1; i < numThreads; ++i)
    workers_.emplace_back([this] { workerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  workAvailable_.notify_all();
  for (std::thread &worker : workers_)
    worker.join();
}

void ThreadPool::runIndices() {
  for (;;) {
    int64_t i = next_.fetch_add(1, std::memory_order_relaxed);
    if (i >= count_)
      return;
    (*body_)(i);
  }
}

void ThreadPool::workerLoop() {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      workAvailable_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_)
        return;
      seen = generation_;
    }
    runIndices();
    std::lock_guard<std::mutex> lock(mutex_);
    if (--activeWorkers_ == 0)
      workDone_.notify_one();
  }
}

void ThreadPool::parallelFor(int64_t count, const std::function<void(int64_t)> &body) {
  if (count <= 0)
    return;
  // Waking workers costs more than a single call is worth.
  if (workers_.empty() || count == 1) {
    for (int64_t i = 0; i < count; ++i)
      body(i);
    return;
  }
  std::lock_guard<std::mutex> call(callMutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    body_ = &body;
    count_ = count;
    next_.store(0, std::memory_order_relaxed);
    activeWorkers_ = static_cast<unsigned>(workers_.size());
    ++generation_;
  }
  workAvailable_.notify_all();
  runIndices();
  // Every worker must leave runIndices before `body` (owned by the caller) goes away.
  std::unique_lock<std::mutex> lock(mutex_);
  workDone_.wait(lock, [&] { return activeWorkers_ == 0; });
  body_ = nullptr;
}

} // namespace tessera::runtime
