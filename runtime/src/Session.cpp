#include "tessera/Session.h"

#include "tessera/Limits.h"

#include "CudaExecutor.h"

#include "tessera/SeededFill.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>
#include <system_error>

namespace tessera::runtime {
namespace {

// Refuses executables built for an x86-64 level this CPU lacks: running them would die with
// SIGILL in the middle of a run instead of failing at load. Other target names (specific CPU
// models) are not checked.
Error checkCpuTarget(const std::string &target) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  bool supported = true;
  if (target == "x86-64-v2")
    supported = __builtin_cpu_supports("x86-64-v2");
  else if (target == "x86-64-v3")
    supported = __builtin_cpu_supports("x86-64-v3");
  else if (target == "x86-64-v4")
    supported = __builtin_cpu_supports("x86-64-v4");
  if (!supported)
    return makeError("target ", target, " is not supported by this CPU");
#else
  (void)target;
#endif
  return Error::success();
}

bool isAligned(const void *p) {
  return reinterpret_cast<uintptr_t>(p) % AlignedBuffer::kAlignment == 0;
}

Error checkTensor(const char *what, const TensorSpec &spec, DType dtype, const Shape &shape,
                  const void *data) {
  if (dtype != spec.dtype || shape != spec.shape)
    return makeError(what, " '", spec.name, "': expected ", spec.typeString(), ", got ",
                     formatTensorType(dtype, shape));
  if (!data && spec.byteSize != 0)
    return makeError(what, " '", spec.name, "': data pointer is null");
  return Error::success();
}

} // namespace

Session::Session(std::shared_ptr<const Module> module, unsigned threads)
    : module_(std::move(module)), pool_(threads) {
  // Developer aid: TESSERA_PROFILE=N prints the N slowest dispatches of each run to stderr.
  if (const char *top = std::getenv("TESSERA_PROFILE"))
    profileTop_ = std::strtoul(top, nullptr, 10);
}

Session::~Session() = default;

namespace {

uint64_t saturatingAdd(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

// Everything a session allocates for the module, checked against `limit` before the first
// allocation: a small module may ask for a huge arena or a huge seeded constant, and filling
// it would take the machine down rather than fail.
Error checkMemoryRequest(const Module &module, uint64_t limit, bool defaultLimit) {
  auto tooLarge = [&](const std::string &what, uint64_t bytes) {
    return makeError(what, " needs ", limits::formatBytes(bytes),
                     ", more than the memory limit of ", limits::formatBytes(limit),
                     defaultLimit ? " (half of this machine's memory)" : "",
                     "; raise it with --max-memory (SessionOptions::maxMemoryBytes)");
  };
  uint64_t total = module.arenaSize();
  if (total > limit)
    return tooLarge("the arena (intermediate buffers)", total);
  uint64_t generated = 0;
  for (size_t i = 0; i < module.constants().size(); ++i) {
    const ConstantInfo &c = module.constants()[i];
    if (c.storage == ConstantStorage::Embedded) // mapped from the file, not allocated
      continue;
    uint64_t bytes = c.spec.byteSize;
    if (c.packing) {
      Expected<uint64_t> n = checkedNumElements(c.packing->source);
      if (!n)
        return n.takeError().withContext(concat("constant ", i, " '", c.spec.name, "'"));
      bytes = saturatingAdd(bytes, *n > UINT64_MAX / 4 ? UINT64_MAX : *n * 4);
    }
    if (bytes > limit)
      return tooLarge(concat("generated constant ", i, " '", c.spec.name, "'"), bytes);
    generated = saturatingAdd(generated, bytes);
  }
  uint64_t io = 0;
  for (const TensorSpec &spec : module.inputs())
    io = saturatingAdd(io, spec.byteSize);
  for (const TensorSpec &spec : module.outputs())
    io = saturatingAdd(io, spec.byteSize);
  total = saturatingAdd(saturatingAdd(total, generated), io);
  if (total > limit)
    return tooLarge(concat("the module (arena ", limits::formatBytes(module.arenaSize()),
                           ", generated constants ", limits::formatBytes(generated),
                           ", inputs and outputs ", limits::formatBytes(io), ")"),
                    total);
  return Error::success();
}

} // namespace

Expected<std::unique_ptr<Session>> Session::create(std::shared_ptr<const Module> module,
                                                   const SessionOptions &options) {
  if (!module)
    return makeError("cannot create a session without a module");
  const std::string &source = module->sourceName();
  uint64_t limit =
      options.maxMemoryBytes ? options.maxMemoryBytes : limits::defaultMaxMemoryBytes();
  if (Error err = checkMemoryRequest(*module, limit, options.maxMemoryBytes == 0))
    return err.withContext(source);
  if (options.cpuWorkgroups < 0 || options.cpuWorkgroups > kMaxCpuWorkgroups)
    return makeError("cpuWorkgroups ", options.cpuWorkgroups, " is out of range (0..",
                     kMaxCpuWorkgroups, ")");
  try {
    std::unique_ptr<Session> session(new Session(std::move(module), options.threads));
    session->cpuWorkgroups_ = options.cpuWorkgroups;
    if (options.device == Device::Cuda) {
      if (Error err = session->materializeConstants())
        return err.withContext(source);
      Expected<std::unique_ptr<cuda::Executor>> executor = cuda::Executor::create(
          session->module_, {session->constantBases_.begin(), session->constantBases_.end()},
          options.cudaDevice, options.cudaGraph);
      if (!executor)
        return executor.takeError().withContext(source);
      session->cuda_ = executor.takeValue();
      // The device holds the constants now.
      session->generated_.clear();
      session->constantBases_.clear();
      return session;
    }
    if (Error err = session->loadExecutables())
      return err.withContext(source);
    if (Error err = session->materializeConstants())
      return err.withContext(source);
    Expected<AlignedBuffer> arena = AlignedBuffer::allocate(session->module_->arenaSize());
    if (!arena)
      return arena.takeError().withContext(source + ": arena");
    session->arena_ = arena.takeValue();
    Expected<AlignedBuffer> empty = AlignedBuffer::allocate(0);
    if (!empty)
      return empty.takeError();
    session->empty_ = empty.takeValue();
    return session;
  } catch (const std::bad_alloc &) {
    return makeError(source, ": out of memory creating a session");
  } catch (const std::system_error &e) {
    // std::thread throws this when no more threads can be started.
    return makeError(source, ": cannot start worker threads: ", e.what());
  }
}

Error Session::loadExecutables() {
  const Module &module = *module_;
  // Only executables some dispatch uses are loaded, so a module may also carry code for other
  // devices (e.g. PTX) without failing here.
  std::vector<bool> used(module.executables().size(), false);
  for (const DispatchInfo &dispatch : module.dispatches())
    used[dispatch.executable] = true;

  objects_.resize(module.executables().size());
  std::vector<std::vector<tsr_kernel_fn>> entries(module.executables().size());
  for (size_t i = 0; i < module.executables().size(); ++i) {
    if (!used[i])
      continue;
    const ExecutableInfo &exe = module.executables()[i];
    std::string where = concat("executable ", i);
    if (exe.format != ExecutableFormat::ElfSharedObject)
      return makeError(where, ": format ", executableFormatName(exe.format), " (target '",
                       exe.target,
                       "') cannot run on the CPU: the module has no CPU code "
                       "(compile it with --target cpu or --target cpu,cuda)");
    if (Error err = checkCpuTarget(exe.target))
      return err.withContext(where);
    Expected<std::unique_ptr<SharedObject>> object = SharedObject::load(exe.data, exe.size);
    if (!object)
      return object.takeError().withContext(where);
    objects_[i] = object.takeValue();
    for (const std::string &name : exe.entryPoints) {
      Expected<tsr_kernel_fn> kernel = objects_[i]->lookupKernel(name);
      if (!kernel)
        return kernel.takeError().withContext(where);
      entries[i].push_back(*kernel);
    }
  }
  for (const DispatchInfo &dispatch : module.dispatches())
    kernels_.push_back(entries[dispatch.executable][dispatch.entryPoint]);
  return Error::success();
}

Error Session::materializeConstants() {
  const std::vector<ConstantInfo> &constants = module_->constants();
  generated_.resize(constants.size());
  constantBases_.resize(constants.size());
  for (size_t i = 0; i < constants.size(); ++i) {
    const ConstantInfo &c = constants[i];
    if (c.storage == ConstantStorage::Embedded) {
      // Kernels get non-const pointers by the ABI but never write constants, and the mapping
      // is read-only anyway.
      constantBases_[i] = const_cast<uint8_t *>(c.data);
      continue;
    }
    std::string what = concat("constant ", i, " '", c.spec.name, "'");
    Expected<AlignedBuffer> buffer = AlignedBuffer::allocate(c.spec.byteSize);
    if (!buffer)
      return buffer.takeError().withContext(what);
    generated_[i] = buffer.takeValue();
    auto *out = reinterpret_cast<float *>(generated_[i].data());
    // A packed parameter is generated in its own layout first, then packed.
    AlignedBuffer source;
    uint64_t count = c.spec.numElements;
    if (c.packing) {
      Expected<uint64_t> n = checkedNumElements(c.packing->source);
      if (!n)
        return n.takeError().withContext(what);
      Expected<AlignedBuffer> s = AlignedBuffer::allocate(*n * sizeof(float));
      if (!s)
        return s.takeError().withContext(what);
      source = s.takeValue();
      count = *n;
      out = reinterpret_cast<float *>(source.data());
    }
    // Large constants are generated in parallel chunks; the values do not depend on chunking.
    constexpr uint64_t kChunk = 1 << 16;
    int64_t chunks = static_cast<int64_t>((count + kChunk - 1) / kChunk);
    pool_.parallelFor(chunks, [&](int64_t chunk) {
      uint64_t first = static_cast<uint64_t>(chunk) * kChunk;
      uint64_t n = std::min(kChunk, count - first);
      uint64_t start = c.packing ? c.packing->sourceOffset : 0;
      fillSeededUniformF32(out + first, n, c.seed, c.low, c.high, start + first);
    });
    if (c.packing)
      packPanels(out, *c.packing, reinterpret_cast<float *>(generated_[i].data()));
    constantBases_[i] = generated_[i].data();
  }
  return Error::success();
}

Error Session::run(const std::vector<TensorRef> &inputs,
                   const std::vector<MutableTensorRef> &outputs,
                   std::vector<double> *dispatchMillis) {
  const Module &module = *module_;
  if (inputs.size() != module.inputs().size())
    return makeError("expected ", module.inputs().size(), " inputs, got ", inputs.size());
  if (outputs.size() != module.outputs().size())
    return makeError("expected ", module.outputs().size(), " outputs, got ", outputs.size());
  for (size_t i = 0; i < inputs.size(); ++i)
    if (Error err = checkTensor("input", module.inputs()[i], inputs[i].dtype, inputs[i].shape,
                                inputs[i].data))
      return err;
  for (size_t i = 0; i < outputs.size(); ++i)
    if (Error err = checkTensor("output", module.outputs()[i], outputs[i].dtype, outputs[i].shape,
                                outputs[i].data))
      return err;

  std::lock_guard<std::mutex> lock(runMutex_);
  if (cuda_) {
    std::vector<double> millis;
    bool timed = profileTop_ || dispatchMillis;
    if (Error err = cuda_->run(inputs, outputs, timed ? &millis : nullptr))
      return err;
    if (profileTop_)
      printProfile(millis);
    if (dispatchMillis)
      *dispatchMillis = std::move(millis);
    return Error::success();
  }
  try {
    // Base pointer of every input and output. Kernels may rely on 64-byte alignment (the
    // format guarantees it for everything else), so misaligned caller memory is staged.
    std::vector<AlignedBuffer> staging;
    std::vector<uint8_t *> inputBases(inputs.size()), outputBases(outputs.size());
    std::vector<std::pair<size_t, size_t>> stagedOutputs; // (output, staging index)
    auto stage = [&](uint64_t bytes) -> Expected<uint8_t *> {
      Expected<AlignedBuffer> buffer = AlignedBuffer::allocate(bytes);
      if (!buffer)
        return buffer.takeError();
      staging.push_back(buffer.takeValue());
      return staging.back().data();
    };
    for (size_t i = 0; i < inputs.size(); ++i) {
      uint64_t bytes = module.inputs()[i].byteSize;
      if (bytes == 0) {
        inputBases[i] = empty_.data();
      } else if (isAligned(inputs[i].data)) {
        inputBases[i] = static_cast<uint8_t *>(const_cast<void *>(inputs[i].data));
      } else {
        Expected<uint8_t *> copy = stage(bytes);
        if (!copy)
          return copy.takeError();
        std::memcpy(*copy, inputs[i].data, bytes);
        inputBases[i] = *copy;
      }
    }
    for (size_t i = 0; i < outputs.size(); ++i) {
      uint64_t bytes = module.outputs()[i].byteSize;
      if (bytes == 0) {
        outputBases[i] = empty_.data();
      } else if (isAligned(outputs[i].data)) {
        outputBases[i] = static_cast<uint8_t *>(outputs[i].data);
      } else {
        Expected<uint8_t *> copy = stage(bytes);
        if (!copy)
          return copy.takeError();
        // Outputs a kernel does not fully overwrite keep the caller's contents.
        std::memcpy(*copy, outputs[i].data, bytes);
        outputBases[i] = *copy;
        stagedOutputs.emplace_back(i, staging.size() - 1);
      }
    }

    std::vector<void *> bindings;
    std::vector<double> profile; // ms per dispatch, with TESSERA_PROFILE
    bool timed = profileTop_ || dispatchMillis;
    if (dispatchMillis)
      dispatchMillis->assign(module.dispatches().size(), 0.0);
    for (size_t d = 0; d < module.dispatches().size(); ++d) {
      const DispatchInfo &dispatch = module.dispatches()[d];
      bindings.assign(dispatch.bindings.size(), nullptr);
      for (size_t b = 0; b < dispatch.bindings.size(); ++b) {
        const BindingInfo &binding = dispatch.bindings[b];
        uint8_t *base = binding.kind == BindingKind::Input      ? inputBases[binding.index]
                        : binding.kind == BindingKind::Output   ? outputBases[binding.index]
                        : binding.kind == BindingKind::Constant ? constantBases_[binding.index]
                                                                : arena_.data();
        uint64_t size = module.bufferBytes(binding.kind, binding.index);
        // Zero-sized buffers have no storage of their own; give kernels a valid pointer.
        bindings[b] = size == 0 ? empty_.data() : base + binding.offset;
      }
      tsr_kernel_fn kernel = kernels_[d];
      // The ABI lets the runtime pick any count >= 1. Beyond a few per thread, more
      // workgroups only add call overhead, and a corrupt count of billions would stall.
      int64_t count = cpuWorkgroups_
                          ? cpuWorkgroups_
                          : std::min<int64_t>(dispatch.workgroupCount[0], kMaxCpuWorkgroups);
      void *const *args = bindings.data();
      std::chrono::steady_clock::time_point start;
      if (timed)
        start = std::chrono::steady_clock::now();
      pool_.parallelFor(count, [&](int64_t id) { kernel(args, id, count); });
      if (timed) {
        double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        if (profileTop_)
          profile.push_back(ms);
        if (dispatchMillis)
          (*dispatchMillis)[d] = ms;
      }
    }
    if (profileTop_)
      printProfile(profile);
    for (const auto &[output, index] : stagedOutputs)
      std::memcpy(outputs[output].data, staging[index].data(), module.outputs()[output].byteSize);
  } catch (const std::bad_alloc &) {
    return makeError("out of memory during run");
  }
  return Error::success();
}

void Session::printProfile(const std::vector<double> &millis) const {
  std::vector<std::pair<double, size_t>> order;
  for (size_t d = 0; d < millis.size(); ++d)
    order.emplace_back(millis[d], d);
  size_t shown = std::min(order.size(), profileTop_);
  std::partial_sort(order.begin(), order.begin() + shown, order.end(), std::greater<>());
  for (size_t i = 0; i < shown; ++i) {
    const DispatchInfo &dispatch = module_->dispatches()[order[i].second];
    std::string origin = dispatchOrigin(dispatch);
    std::fprintf(stderr, "profile: %9.3f ms  %s%s%s\n", order[i].first, dispatch.name.c_str(),
                 origin.empty() ? "" : "  ", origin.c_str());
  }
}

std::string Session::deviceName() const { return cuda_ ? cuda_->deviceName() : "cpu"; }

Expected<std::vector<Tensor>> Session::run(const std::vector<TensorRef> &inputs) {
  std::vector<Tensor> outputs;
  std::vector<MutableTensorRef> refs;
  try {
    for (const TensorSpec &spec : module_->outputs()) {
      Expected<Tensor> tensor = Tensor::zeros(spec.dtype, spec.shape);
      if (!tensor)
        return tensor.takeError().withContext(concat("output '", spec.name, "'"));
      outputs.push_back(tensor.takeValue());
    }
    for (Tensor &tensor : outputs)
      refs.push_back(tensor.mutableRef());
  } catch (const std::bad_alloc &) {
    return makeError("out of memory allocating outputs");
  }
  if (Error err = run(inputs, refs))
    return err;
  return outputs;
}

} // namespace tessera::runtime
