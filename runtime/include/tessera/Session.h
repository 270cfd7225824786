// Runs a module on the CPU or on a CUDA device.
//
// A Session binds a Module to resources: its executables loaded and kernels resolved, its
// constants materialised (embedded ones used in place from the module buffer, seeded ones
// generated into owned memory), an arena of arena_size bytes and a thread pool. run() then
// executes the dispatches in order, spreading each one's workgroups over the pool.
#ifndef TESSERA_RUNTIME_SESSION_H
#define TESSERA_RUNTIME_SESSION_H

#include "tessera/AlignedBuffer.h"
#include "tessera/Error.h"
#include "tessera/Module.h"
#include "tessera/SharedObject.h"
#include "tessera/Tensor.h"
#include "tessera/ThreadPool.h"
#include "tessera/kernel_abi.h"

#include <memory>
#include <mutex>
#include <vector>

namespace tessera::runtime {

enum class Device : uint8_t { Cpu, Cuda };

struct SessionOptions {
  // Threads running workgroups, the caller included; 0 = hardware concurrency, 1 = inline.
  // On a CUDA device they only generate seeded constants.
  unsigned threads = 0;
  // Where dispatches run: the CPU executable on the thread pool, or the PTX executable on
  // CUDA device `cudaDevice` through the driver API (loaded when the session is created).
  Device device = Device::Cpu;
  int cudaDevice = 0;
  // On a CUDA device: capture the module's launches as a CUDA graph on the first run and
  // replay it after (one launch per run instead of one per kernel). Runs that time each
  // dispatch launch kernel by kernel.
  bool cudaGraph = false;
  // The most memory the session may allocate for the module (arena, generated constants,
  // staged inputs and outputs), checked before anything is allocated; 0 = half of this
  // machine's physical memory (tessera/Limits.h).
  uint64_t maxMemoryBytes = 0;
  // Every CPU dispatch split into this many workgroups instead of the module's count (0 = the
  // module's). Kernels must give the same result for any count >= 1; tests hold them to it.
  int64_t cpuWorkgroups = 0;
};

namespace cuda {
class Executor;
}

class Session {
public:
  // Upper bound on the workgroups one CPU dispatch is split into; larger counts in the module
  // are treated as hints and clamped (kernels are correct for any count >= 1).
  static constexpr int64_t kMaxCpuWorkgroups = 1 << 16;

  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;
  ~Session();

  // Fails if an executable cannot be loaded (e.g. PTX on this CPU-only runtime, a bad ELF, a
  // missing entry point) or memory for constants/arena is not available.
  static Expected<std::unique_ptr<Session>> create(std::shared_ptr<const Module> module,
                                                   const SessionOptions &options = {});

  const Module &module() const { return *module_; }
  unsigned numThreads() const { return pool_.numThreads(); }
  Device device() const { return cuda_ ? Device::Cuda : Device::Cpu; }
  // "cpu", or the CUDA device's name and architecture.
  std::string deviceName() const;

  // inputs[i] is module input i; each must match its spec's dtype and shape exactly. Returns
  // freshly allocated outputs in module order.
  Expected<std::vector<Tensor>> run(const std::vector<TensorRef> &inputs);

  // Same, writing into caller memory. Buffers need no particular alignment (misaligned ones
  // are staged through aligned copies), but must not overlap each other. With
  // `dispatchMillis`, each dispatch is timed: it receives one wall time per dispatch, in
  // module order.
  Error run(const std::vector<TensorRef> &inputs, const std::vector<MutableTensorRef> &outputs,
            std::vector<double> *dispatchMillis = nullptr);

private:
  explicit Session(std::shared_ptr<const Module> module, unsigned threads);
  Error loadExecutables();
  Error materializeConstants();
  void printProfile(const std::vector<double> &millis) const;

  std::shared_ptr<const Module> module_;
  ThreadPool pool_;
  std::vector<std::unique_ptr<SharedObject>> objects_;
  std::vector<tsr_kernel_fn> kernels_;   // One per dispatch.
  std::vector<AlignedBuffer> generated_; // Seeded constants.
  std::vector<uint8_t *> constantBases_; // One per constant.
  AlignedBuffer arena_;
  AlignedBuffer empty_;                  // Stands in for zero-sized buffers.
  std::mutex runMutex_;                  // The arena is shared: one run at a time.
  size_t profileTop_ = 0;                // TESSERA_PROFILE: slowest dispatches to print.
  int64_t cpuWorkgroups_ = 0;            // SessionOptions::cpuWorkgroups
  std::unique_ptr<cuda::Executor> cuda_; // Set when the session runs on a CUDA device.
};

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_SESSION_H
