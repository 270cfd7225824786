#include "tessera/ThreadPool.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define TSR_CPU_RELAX() _mm_pause()
#else
#define TSR_CPU_RELAX() ((void)0)
#endif

namespace tessera::runtime {

namespace {

// Waking a sleeping thread costs tens of microseconds on a virtual machine, about as long as
// a small dispatch: a late worker leaves the whole dispatch to the caller. Dispatches follow
// each other within microseconds, so polling this long after each one catches the next
// without a wake-up, and is short enough not to take the core from other work for long.
constexpr int64_t kDefaultSpinMicros = 100;

int64_t spinMicrosFromEnvironment() {
  const char *s = std::getenv("TESSERA_SPIN_US");
  if (!s || !*s)
    return kDefaultSpinMicros;
  char *end = nullptr;
  long long v = std::strtoll(s, &end, 10);
  if (*end || v < 0)
    return kDefaultSpinMicros;
  return std::min<long long>(v, 1000000);
}

} // namespace

template <typename Done> bool ThreadPool::spinUntil(Done done) const {
  if (spinNanos_ <= 0)
    return done();
  auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(spinNanos_);
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (done())
        return true;
      TSR_CPU_RELAX();
    }
    if (std::chrono::steady_clock::now() >= until)
      return done();
  }
}

ThreadPool::ThreadPool(unsigned numThreads) : spinNanos_(spinMicrosFromEnvironment() * 1000) {
  if (numThreads == 0)
    numThreads = std::max(1u, std::thread::hardware_concurrency());
  workers_.reserve(numThreads - 1);
  try {
    for (unsigned i = 1; i < numThreads; ++i)
      workers_.emplace_back([this] { workerLoop(); });
  } catch (...) {
    // The destructor does not run for a constructor that throws: stop the workers started so
    // far (destroying joinable threads would terminate), then report the failure.
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    workAvailable_.notify_all();
    for (std::thread &worker : workers_)
      worker.join();
    throw;
  }
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
    spinUntil([&] {
      return stopping_.load(std::memory_order_acquire) ||
             generation_.load(std::memory_order_acquire) != seen;
    });
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
  spinUntil([&] { return activeWorkers_.load(std::memory_order_acquire) == 0; });
  std::unique_lock<std::mutex> lock(mutex_);
  workDone_.wait(lock, [&] { return activeWorkers_ == 0; });
  body_ = nullptr;
}

} // namespace tessera::runtime
