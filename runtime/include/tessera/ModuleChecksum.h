// The checksum of a .tsm module: CRC-32 of the whole buffer with the 4 bytes of
// Module.checksum taken as zero, stored in Module.checksum.
//
// Writer side (the compiler): build the module with the checksum field present (use
// `builder.ForceDefaults(true)` or add a non-zero placeholder, since FlatBuffers omits fields
// equal to their default), finish the buffer, then call sealModuleChecksum() on the finished
// bytes before writing them out.
#ifndef TESSERA_RUNTIME_MODULECHECKSUM_H
#define TESSERA_RUNTIME_MODULECHECKSUM_H

#include "tessera/Error.h"

#include <cstddef>
#include <cstdint>

namespace tessera::runtime {

// Computes the module checksum and writes it into the Module.checksum field of `buffer`
// (a finished FlatBuffer with identifier "TSM0"). Fails if the buffer does not verify or the
// field is absent.
Error sealModuleChecksum(uint8_t *buffer, size_t size);

// The checksum the buffer should carry. The buffer must already have passed the FlatBuffers
// verifier (the loader does that first); fails if the checksum field is absent.
Expected<uint32_t> computeModuleChecksum(const uint8_t *buffer, size_t size);

// Compares the stored checksum with computeModuleChecksum(); the buffer must be verified.
Error checkModuleChecksum(const uint8_t *buffer, size_t size);

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_MODULECHECKSUM_H
