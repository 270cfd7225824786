// Semantic validation of a verified module FlatBuffer (internal to the runtime).
#ifndef TESSERA_RUNTIME_SRC_MODULEVALIDATOR_H
#define TESSERA_RUNTIME_SRC_MODULEVALIDATOR_H

#include "tessera/Error.h"
#include "tessera/Module.h"

#include <cstddef>
#include <cstdint>

namespace tessera::runtime {

// Checks every semantic rule of the format on `buffer`, which must already have passed the
// FlatBuffers verifier, and returns the content as plain structs. Pointers in the result
// (embedded constants, executables) point into `buffer`.
Expected<ModuleInfo> validateModule(const uint8_t *buffer, size_t size);

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_SRC_MODULEVALIDATOR_H
