// Loads an ELF shared object from memory (an executable embedded in a module) and resolves
// its kernels. The bytes go to an anonymous memfd so nothing is left on disk and no directory
// needs to be writable; a deleted temporary file is the fallback where memfd is unavailable.
#ifndef TESSERA_RUNTIME_SHAREDOBJECT_H
#define TESSERA_RUNTIME_SHAREDOBJECT_H

#include "tessera/Error.h"
#include "tessera/kernel_abi.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace tessera::runtime {

class SharedObject {
public:
  SharedObject(const SharedObject &) = delete;
  SharedObject &operator=(const SharedObject &) = delete;
  ~SharedObject(); // dlclose.

  // Checks the ELF header (64-bit, little-endian, shared object, this machine) first so that
  // a wrong file gives a clear message rather than a dynamic-loader one, then dlopens the bytes
  // with RTLD_NOW | RTLD_LOCAL.
  static Expected<std::unique_ptr<SharedObject>> load(const uint8_t *data, size_t size);

  // The kernel called `name`; fails if the object does not export it.
  Expected<tsr_kernel_fn> lookupKernel(const std::string &name) const;

private:
  SharedObject() = default;
  void *handle_ = nullptr;
};

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_SHAREDOBJECT_H
