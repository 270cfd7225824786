#include "tessera/ThreadPool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <thread>
#include <vector>

using tessera::runtime::ThreadPool;

namespace {

TEST(ThreadPool, EveryIndexExactlyOnce) {
  for (unsigned threads : {1u, 2u, 3u, 8u}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.numThreads(), threads);
    for (int64_t count : {0, 1, 2, 5, 64, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(count));
      pool.parallelFor(count, [&](int64_t i) { hits[static_cast<size_t>(i)]++; });
      for (int64_t i = 0; i < count; ++i)
        ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1)
            << "threads " << threads << " count " << count << " index " << i;
    }
  }
}

TEST(ThreadPool, ManyBackToBackCalls) {
  ThreadPool pool(4);
  std::atomic<int64_t> total{0};
  for (int call = 0; call < 2000; ++call)
    pool.parallelFor(7, [&](int64_t i) { total += i; });
  EXPECT_EQ(total.load(), 2000 * 21);
}

TEST(ThreadPool, SingleThreadRunsInline) {
  ThreadPool pool(1);
  std::thread::id caller = std::this_thread::get_id();
  bool allInline = true;
  pool.parallelFor(10, [&](int64_t) { allInline &= std::this_thread::get_id() == caller; });
  EXPECT_TRUE(allInline);
}

TEST(ThreadPool, UsesWorkers) {
  ThreadPool pool(4);
  std::atomic<int> inside{0};
  std::atomic<int> maxInside{0};
  pool.parallelFor(64, [&](int64_t) {
    int now = ++inside;
    int seen = maxInside.load();
    while (now > seen && !maxInside.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    --inside;
  });
  EXPECT_GT(maxInside.load(), 1);
}

TEST(ThreadPool, ZeroMeansHardwareConcurrency) {
  ThreadPool pool(0);
  EXPECT_GE(pool.numThreads(), 1u);
}

TEST(ThreadPool, ConcurrentCallersAreSerialised) {
  ThreadPool pool(3);
  std::atomic<int64_t> total{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&] {
      for (int call = 0; call < 200; ++call)
        pool.parallelFor(5, [&](int64_t i) { total += i + 1; });
    });
  for (std::thread &caller : callers)
    caller.join();
  EXPECT_EQ(total.load(), 4 * 200 * 15);
}

// Workers poll for TESSERA_SPIN_US after each call before they sleep; every setting (none,
// short, long, garbage) must hand out each index exactly once, call after call, including
// calls that come after the workers fell asleep.
TEST(ThreadPool, SpinSettingsKeepResultsExact) {
  for (const char *spin : {"0", "5", "100000", "junk"}) {
    ::setenv("TESSERA_SPIN_US", spin, 1);
    ThreadPool pool(3);
    ::unsetenv("TESSERA_SPIN_US");
    for (int call = 0; call < 50; ++call) {
      std::vector<std::atomic<int>> hits(97);
      pool.parallelFor(97, [&](int64_t i) { ++hits[i]; });
      for (auto &h : hits)
        ASSERT_EQ(h.load(), 1) << "TESSERA_SPIN_US=" << spin << " call " << call;
      if (call % 10 == 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
}

} // namespace
