#include "tessera/ModuleChecksum.h"

#include "tessera/Crc32.h"
#include "tessera/schema/module_generated.h"

#include <cstdio>

namespace tessera::runtime {
namespace {

// Byte offset of Module.checksum inside a verified buffer, or an error if the field is absent.
Expected<size_t> checksumFieldOffset(const uint8_t *buffer) {
  // The generated Module derives privately from flatbuffers::Table, so go through Table to
  // reach GetAddressOf.
  const auto *table = flatbuffers::GetRoot<flatbuffers::Table>(buffer);
  const uint8_t *field = table->GetAddressOf(schema::Module::VT_CHECKSUM);
  if (!field)
    return makeError("module has no checksum field (the writer must store it, e.g. with "
                     "FlatBufferBuilder::ForceDefaults(true) or a non-zero placeholder)");
  return static_cast<size_t>(field - buffer);
}

uint32_t readLE32(const uint8_t *p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

} // namespace

Expected<uint32_t> computeModuleChecksum(const uint8_t *buffer, size_t size) {
  Expected<size_t> offset = checksumFieldOffset(buffer);
  if (!offset)
    return offset.takeError();
  // The verifier guaranteed the 4-byte field lies inside the buffer.
  static const uint8_t kZeros[4] = {0, 0, 0, 0};
  uint32_t crc = crc32(buffer, *offset);
  crc = crc32(kZeros, 4, crc);
  crc = crc32(buffer + *offset + 4, size - *offset - 4, crc);
  return crc;
}

Error checkModuleChecksum(const uint8_t *buffer, size_t size) {
  Expected<size_t> offset = checksumFieldOffset(buffer);
  if (!offset)
    return offset.takeError();
  Expected<uint32_t> computed = computeModuleChecksum(buffer, size);
  if (!computed)
    return computed.takeError();
  uint32_t stored = readLE32(buffer + *offset);
  if (stored != *computed) {
    char text[96];
    std::snprintf(text, sizeof(text), "checksum mismatch (stored 0x%08x, computed 0x%08x)", stored,
                  *computed);
    return makeError(text, ": the file is corrupt or was modified after sealing");
  }
  return Error::success();
}

Error sealModuleChecksum(uint8_t *buffer, size_t size) {
  if (!buffer || size < 8 || size >= FLATBUFFERS_MAX_BUFFER_SIZE)
    return makeError("cannot seal module: buffer size ", size, " is out of range");
  if (!schema::ModuleBufferHasIdentifier(buffer))
    return makeError("cannot seal module: missing file identifier \"TSM0\"");
  flatbuffers::Verifier verifier(buffer, size);
  if (!schema::VerifyModuleBuffer(verifier))
    return makeError("cannot seal module: the buffer is not a valid Module FlatBuffer");
  Expected<size_t> offset = checksumFieldOffset(buffer);
  if (!offset)
    return offset.takeError().withContext("cannot seal module");
  Expected<uint32_t> crc = computeModuleChecksum(buffer, size);
  if (!crc)
    return crc.takeError();
  for (int i = 0; i < 4; ++i)
    buffer[*offset + i] = static_cast<uint8_t>(*crc >> (8 * i));
  return Error::success();
}

} // namespace tessera::runtime
