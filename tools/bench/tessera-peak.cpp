// tessera-peak: this machine's fp32 FMA peak on one thread and on all cores, measured by a
// register-only loop of independent FMAs at the widest vector width the CPU has. Efficiency
// figures elsewhere divide by a peak measured in the same run, never by a constant.
#include "tessera/FmaPeak.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

int main(int argc, char **argv) {
  bool json = false;
  unsigned threads = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::printf("usage: tessera-peak [--threads N] [--json]\n\n"
                  "Measures the fp32 FMA peak (GFLOP/s) on 1 thread and on N threads\n"
                  "(default: all cores) with 12 independent FMA chains per thread at the\n"
                  "widest vector width this CPU supports; best of 5 repetitions.\n");
      return 0;
    }
    if (arg == "--json") {
      json = true;
    } else if (arg == "--threads" && i + 1 < argc) {
      char *end = nullptr;
      long n = std::strtol(argv[++i], &end, 10);
      if (!end || *end || n < 1 || n > 4096) {
        std::fprintf(stderr, "tessera-peak: --threads expects an integer between 1 and 4096\n");
        return 2;
      }
      threads = unsigned(n);
    } else {
      std::fprintf(stderr, "tessera-peak: unknown argument '%s'\nTry 'tessera-peak --help'.\n",
                   arg.c_str());
      return 2;
    }
  }
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  tessera::runtime::FmaPeak one = tessera::runtime::measureFmaPeak(1);
  tessera::runtime::FmaPeak all = tessera::runtime::measureFmaPeak(threads);
  if (json)
    std::printf("{\"vector_bits\": %u, \"threads\": %u, \"gflops_1_thread\": %.2f, "
                "\"gflops_all_threads\": %.2f}\n",
                all.vectorBits, threads, one.gflops, all.gflops);
  else
    std::printf("fp32 FMA peak (%u-bit vectors): %.1f GFLOP/s on 1 thread, %.1f GFLOP/s on %u "
                "threads\n",
                all.vectorBits, one.gflops, all.gflops, threads);
  return 0;
}
