// A probe of this machine's fp32 FMA throughput: efficiency figures divide by a peak measured in
// the same run, because the development machines change CPUs (and clock) from day to day.
#ifndef TESSERA_RUNTIME_FMAPEAK_H
#define TESSERA_RUNTIME_FMAPEAK_H

namespace tessera::runtime {

struct FmaPeak {
  double gflops = 0; // fp32 GFLOP/s summed over all threads (an FMA counts 2 flops)
  unsigned threads = 1;
  unsigned vectorBits = 0; // widest vector width used: 512 (AVX-512), 256 (AVX2+FMA), 128
};

// The widest FMA this CPU supports, in bits (512, 256, or 128 when there is no FMA at all: the
// probe then times separate multiplies and adds).
unsigned widestFmaBits();

// Runs a register-only loop of independent FMA chains on `threads` threads (0: all cores) for
// about `seconds` per repetition and returns the best of `repetitions`. Each thread keeps 12
// accumulators, enough to cover the FMA latency of every x86-64 core so far.
FmaPeak measureFmaPeak(unsigned threads, double seconds = 0.1, unsigned repetitions = 5);

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_FMAPEAK_H
