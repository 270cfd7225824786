// libFuzzer target: the module loader and validator (Module::loadBytes), then session
// creation under a small memory limit. Sessions are created only for modules without CPU
// executables: a module carries native code, and dlopen of mutated ELF objects is outside the
// loader's promise (docs/RELIABILITY.md, "Trust model").
#include "tessera/Module.h"
#include "tessera/Session.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace tessera::runtime;
  Expected<std::shared_ptr<Module>> module = Module::loadBytes(data, size, "fuzz.tsm");
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
