#include "tessera/Json.h"
#include "tessera/Safetensors.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

namespace tessera::runtime {
namespace {

// The 8-byte length plus the padded JSON header, and the data size that follows.
Expected<std::string> buildHeader(const std::vector<SafetensorsF32Entry> &entries,
                                  const std::map<std::string, std::string> &metadata,
                                  uint64_t &dataSize) {
  std::set<std::string> names;
  std::string json = "{";
  if (!metadata.empty()) {
    json += "\"__metadata__\":{";
    bool first = true;
    for (const auto &[key, value] : metadata) {
      json += (first ? "" : ",") + jsonQuoted(key) + ":" + jsonQuoted(value);
      first = false;
    }
    json += "}";
  }
  uint64_t offset = 0;
  for (const SafetensorsF32Entry &entry : entries) {
    if (entry.name == "__metadata__")
      return makeError("a tensor cannot be called \"__metadata__\"");
    if (!names.insert(entry.name).second)
      return makeError("duplicate tensor name '", entry.name, "'");
    Expected<uint64_t> bytes = checkedByteSize(DType::F32, entry.shape);
    if (!bytes)
      return bytes.takeError().withContext("tensor '" + entry.name + "'");
    if (*bytes && !entry.data)
      return makeError("tensor '", entry.name, "': null data");
    if (json.size() > 1)
      json += ",";
    json += jsonQuoted(entry.name) + ":{\"dtype\":\"F32\",\"shape\":[";
    for (size_t i = 0; i < entry.shape.size(); ++i)
      json += (i ? "," : "") + std::to_string(entry.shape[i]);
    json += "],\"data_offsets\":[" + std::to_string(offset) + "," +
            std::to_string(offset + *bytes) + "]}";
    offset += *bytes;
  }
  json += "}";
  // Spaces after the JSON are allowed; they put the data on a 64-byte boundary.
  json.append((64 - (8 + json.size()) % 64) % 64, ' ');
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<char>((uint64_t(json.size()) >> (8 * i)) & 0xFF);
  dataSize = offset;
  return out + json;
}

} // namespace

Expected<std::vector<uint8_t>>
encodeSafetensorsF32(const std::vector<SafetensorsF32Entry> &entries,
                     const std::map<std::string, std::string> &metadata) {
  uint64_t dataSize = 0;
  Expected<std::string> header = buildHeader(entries, metadata, dataSize);
  if (!header)
    return header.takeError();
  std::vector<uint8_t> out(header->begin(), header->end());
  out.reserve(out.size() + dataSize);
  for (const SafetensorsF32Entry &entry : entries) {
    uint64_t bytes = *checkedByteSize(DType::F32, entry.shape);
    const auto *data = reinterpret_cast<const uint8_t *>(entry.data);
    if (bytes)
      out.insert(out.end(), data, data + bytes);
  }
  return out;
}

Error writeSafetensorsF32(const std::string &path, const std::vector<SafetensorsF32Entry> &entries,
                          const std::map<std::string, std::string> &metadata) {
  uint64_t dataSize = 0;
  Expected<std::string> header = buildHeader(entries, metadata, dataSize);
  if (!header)
    return header.takeError().withContext(path);
  // Streamed, so writing large weights does not need a second copy in memory.
  FILE *file = std::fopen(path.c_str(), "wb");
  if (!file)
    return makeError(path, ": cannot open for writing: ", std::strerror(errno));
  bool ok = std::fwrite(header->data(), 1, header->size(), file) == header->size();
  for (const SafetensorsF32Entry &entry : entries) {
    uint64_t bytes = *checkedByteSize(DType::F32, entry.shape);
    if (ok && bytes)
      ok = std::fwrite(entry.data, 1, bytes, file) == bytes;
  }
  ok = (std::fclose(file) == 0) && ok;
  if (!ok)
    return makeError(path, ": write failed: ", std::strerror(errno));
  return Error::success();
}

} // namespace tessera::runtime
