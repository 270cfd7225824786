// libFuzzer target: the module loader and validator (Module::loadBytes, on the input and on a
// copy with its checksum re-sealed), then session creation under a small memory limit.
// Sessions are created only for modules without CPU executables: a module carries native code,
// and dlopen of mutated ELF objects is outside the loader's promise (docs/RELIABILITY.md,
// "Trust model").
#include "tessera/Module.h"
#include "tessera/ModuleChecksum.h"
#include "tessera/Session.h"

#include <cstddef>
#include <cstdint>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace tessera::runtime;
  // As given (the verifier and the checksum reject most mutations), then re-sealed: a copy
  // whose checksum is recomputed reaches the validator with the mutation intact.
  (void)Module::loadBytes(data, size, "fuzz.tsm");
  std::vector<uint8_t> sealed(data, data + size);
  if (sealModuleChecksum(sealed.data(), sealed.size()))
    return 0;
  Expected<std::shared_ptr<Module>> module =
      Module::loadBytes(sealed.data(), sealed.size(), "fuzz.tsm");
  if (!module)
    return 0;
  for (const ExecutableInfo &exe : (*module)->executables())
    if (exe.format == ExecutableFormat::ElfSharedObject)
      return 0;
  SessionOptions options;
  options.threads = 1;
  options.maxMemoryBytes = uint64_t(64) << 20;
  Expected<std::unique_ptr<Session>> session = Session::create(*module, options);
  (void)session;
  return 0;
}
