#include "tessera/FmaPeak.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace tessera::runtime {
namespace {

constexpr int kChains = 12;

// Each function runs `iterations` rounds of kChains independent FMAs and returns a value that
// depends on every chain, so the compiler cannot drop any of them. Flops per round per chain:
// lanes * 2.
#if defined(__x86_64__)
__attribute__((target("avx512f"))) float chains512(long iterations) {
  __m512 acc[kChains];
  const __m512 b = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < kChains; ++i)
    acc[i] = _mm512_set1_ps(float(i));
  for (long n = 0; n < iterations; ++n)
    for (int i = 0; i < kChains; ++i)
      acc[i] = _mm512_fmadd_ps(acc[i], b, c);
  __m512 sum = acc[0];
  for (int i = 1; i < kChains; ++i)
    sum = _mm512_add_ps(sum, acc[i]);
  // Stored and summed by hand: GCC 12 warns inside _mm512_reduce_add_ps (uninitialized).
  float lanes[16];
  _mm512_storeu_ps(lanes, sum);
  float total = 0;
  for (float v : lanes)
    total += v;
  return total;
}

__attribute__((target("avx2,fma"))) float chains256(long iterations) {
  __m256 acc[kChains];
  const __m256 b = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < kChains; ++i)
    acc[i] = _mm256_set1_ps(float(i));
  for (long n = 0; n < iterations; ++n)
    for (int i = 0; i < kChains; ++i)
      acc[i] = _mm256_fmadd_ps(acc[i], b, c);
  __m256 sum = acc[0];
  for (int i = 1; i < kChains; ++i)
    sum = _mm256_add_ps(sum, acc[i]);
  float lanes[8];
  _mm256_storeu_ps(lanes, sum);
  float total = 0;
  for (float v : lanes)
    total += v;
  return total;
}
#endif

// Without FMA: a multiply and an add per step, still counted as 2 flops of 4 lanes.
float chains128(long iterations) {
  typedef float v4 __attribute__((vector_size(16)));
  v4 acc[kChains];
  const v4 b = {0.999999f, 0.999999f, 0.999999f, 0.999999f}, c = {1e-7f, 1e-7f, 1e-7f, 1e-7f};
  for (int i = 0; i < kChains; ++i)
    acc[i] = v4{float(i), float(i), float(i), float(i)};
  for (long n = 0; n < iterations; ++n)
    for (int i = 0; i < kChains; ++i)
      acc[i] = acc[i] * b + c;
  v4 sum = acc[0];
  for (int i = 1; i < kChains; ++i)
    sum += acc[i];
  return sum[0] + sum[1] + sum[2] + sum[3];
}

float runChains(unsigned bits, long iterations) {
#if defined(__x86_64__)
  if (bits == 512)
    return chains512(iterations);
  if (bits == 256)
    return chains256(iterations);
#endif
  return chains128(iterations);
}

} // namespace

unsigned widestFmaBits() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f"))
    return 512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return 256;
#endif
  return 128;
}

FmaPeak measureFmaPeak(unsigned threads, double seconds, unsigned repetitions) {
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  FmaPeak peak;
  peak.threads = threads;
  peak.vectorBits = widestFmaBits();
  const double flopsPerIteration = double(kChains) * (peak.vectorBits / 32) * 2;

  // Calibrate on one thread: iterations for about `seconds`.
  long iterations = 1 << 16;
  for (;;) {
    auto start = std::chrono::steady_clock::now();
    volatile float sink = runChains(peak.vectorBits, iterations);
    (void)sink;
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (elapsed >= seconds / 4 || iterations > (1l << 40))
      break;
    iterations *= 2;
  }
  iterations *= 4;

  for (unsigned rep = 0; rep < std::max(1u, repetitions); ++rep) {
    std::atomic<unsigned> ready{0};
    std::atomic<bool> go{false};
    std::vector<double> elapsed(threads, 0);
    std::vector<std::thread> workers;
    for (unsigned t = 0; t < threads; ++t)
      workers.emplace_back([&, t] {
        ready.fetch_add(1);
        while (!go.load(std::memory_order_acquire)) {
        }
        auto start = std::chrono::steady_clock::now();
        volatile float sink = runChains(peak.vectorBits, iterations);
        (void)sink;
        elapsed[t] =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      });
    while (ready.load() != threads) {
    }
    go.store(true, std::memory_order_release);
    for (std::thread &w : workers)
      w.join();
    // All threads did the same work: the slowest one bounds the aggregate rate.
    double slowest = *std::max_element(elapsed.begin(), elapsed.end());
    double gflops = threads * iterations * flopsPerIteration / slowest / 1e9;
    peak.gflops = std::max(peak.gflops, gflops);
  }
  return peak;
}

} // namespace tessera::runtime
