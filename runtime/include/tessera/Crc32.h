// CRC-32 (IEEE 802.3 polynomial, reflected; identical to zlib's crc32()).
#ifndef TESSERA_RUNTIME_CRC32_H
#define TESSERA_RUNTIME_CRC32_H

#include <cstddef>
#include <cstdint>

namespace tessera::runtime {

// Extends `crc` (the CRC of the bytes seen so far, 0 for none) with `size` more bytes, so a
// buffer can be checksummed in pieces: crc32(b, crc32(a)) == crc32(a ++ b).
uint32_t crc32(const void *data, size_t size, uint32_t crc = 0);

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_CRC32_H
