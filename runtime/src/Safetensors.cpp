// safetensors reader. Validation follows the reference implementation: the header is a JSON
// object, every tensor's byte range matches its dtype and shape, and the ranges tile the data
// area exactly (no overlap, no gap, nothing after the end), which rules out polyglot files.
#include "tessera/Safetensors.h"

#include "tessera/Json.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace tessera::runtime {
namespace {

struct DTypeEntry {
  const char *name;
  SafetensorsDType dtype;
  size_t size;
};

constexpr DTypeEntry kDTypes[] = {
    {"BOOL", SafetensorsDType::BOOL, 1},       {"U8", SafetensorsDType::U8, 1},
    {"I8", SafetensorsDType::I8, 1},           {"F8_E5M2", SafetensorsDType::F8_E5M2, 1},
    {"F8_E4M3", SafetensorsDType::F8_E4M3, 1}, {"I16", SafetensorsDType::I16, 2},
    {"U16", SafetensorsDType::U16, 2},         {"F16", SafetensorsDType::F16, 2},
    {"BF16", SafetensorsDType::BF16, 2},       {"I32", SafetensorsDType::I32, 4},
    {"U32", SafetensorsDType::U32, 4},         {"F32", SafetensorsDType::F32, 4},
    {"F64", SafetensorsDType::F64, 8},         {"I64", SafetensorsDType::I64, 8},
    {"U64", SafetensorsDType::U64, 8},
};

const DTypeEntry *findDType(const std::string &name) {
  for (const DTypeEntry &entry : kDTypes)
    if (name == entry.name)
      return &entry;
  return nullptr;
}

constexpr size_t kMaxRank = 32;

Error parseEntry(const std::string &name, const JsonValue &value, uint64_t dataSize,
                 const uint8_t *dataStart, SafetensorsTensor &out) {
  std::string where = "tensor '" + name + "'";
  if (!value.isObject())
    return makeError(where, ": expected an object, got ", JsonValue::kindName(value.kind()));
  const JsonValue *dtype = value.find("dtype");
  const JsonValue *shape = value.find("shape");
  const JsonValue *offsets = value.find("data_offsets");
  if (!dtype || !shape || !offsets)
    return makeError(where, ": missing ",
                     !dtype   ? "\"dtype\""
                     : !shape ? "\"shape\""
                              : "\"data_offsets\"");
  if (!dtype->isString())
    return makeError(where, ": \"dtype\" must be a string");
  const DTypeEntry *entry = findDType(dtype->stringValue());
  if (!entry)
    return makeError(where, ": unknown dtype '", dtype->stringValue(), "'");
  out.name = name;
  out.dtype = entry->dtype;

  if (!shape->isArray())
    return makeError(where, ": \"shape\" must be an array");
  if (shape->arrayItems().size() > kMaxRank)
    return makeError(where, ": rank ", shape->arrayItems().size(), " is absurd");
  for (const JsonValue &dim : shape->arrayItems()) {
    if (!dim.isUnsignedInteger() ||
        dim.uintValue() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return makeError(where, ": shape entries must be non-negative integers");
    out.shape.push_back(static_cast<int64_t>(dim.uintValue()));
  }
  Expected<uint64_t> numel = checkedNumElements(out.shape);
  uint64_t bytes;
  if (!numel || !checkedMul(*numel, entry->size, &bytes))
    return makeError(where, ": absurd shape ", formatShape(out.shape));
  out.numElements = *numel;

  if (!offsets->isArray() || offsets->arrayItems().size() != 2 ||
      !offsets->arrayItems()[0].isUnsignedInteger() ||
      !offsets->arrayItems()[1].isUnsignedInteger())
    return makeError(where, ": \"data_offsets\" must be [begin, end] with non-negative integers");
  uint64_t begin = offsets->arrayItems()[0].uintValue();
  uint64_t end = offsets->arrayItems()[1].uintValue();
  if (begin > end)
    return makeError(where, ": data_offsets [", begin, ", ", end, ") has begin > end");
  if (end > dataSize)
    return makeError(where, ": data_offsets [", begin, ", ", end, ") exceed the data area of ",
                     dataSize, " bytes");
  if (end - begin != bytes)
    return makeError(where, ": data_offsets [", begin, ", ", end, ") hold ", end - begin,
                     " bytes, but ", entry->name, formatShape(out.shape), " needs ", bytes);
  out.data = dataStart + begin;
  out.size = static_cast<size_t>(bytes);
  return Error::success();
}

float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1F;
  uint32_t mantissa = h & 0x3FF;
  uint32_t bits;
  if (exponent == 0x1F) {
    bits = sign | 0x7F800000u | (mantissa << 13); // Inf / NaN.
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign; // Signed zero.
  } else {
    // Subnormal: normalise the mantissa.
    int shift = 0;
    while (!(mantissa & 0x400)) {
      mantissa <<= 1;
      ++shift;
    }
    mantissa &= 0x3FF;
    bits = sign | (uint32_t(113 - shift) << 23) | (mantissa << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

} // namespace

const char *safetensorsDTypeName(SafetensorsDType dtype) {
  for (const DTypeEntry &entry : kDTypes)
    if (entry.dtype == dtype)
      return entry.name;
  return "?";
}

size_t safetensorsDTypeSize(SafetensorsDType dtype) {
  for (const DTypeEntry &entry : kDTypes)
    if (entry.dtype == dtype)
      return entry.size;
  return 0;
}

Expected<std::unique_ptr<SafetensorsFile>> SafetensorsFile::open(const std::string &path) {
  Expected<std::unique_ptr<MappedFile>> file = MappedFile::open(path);
  if (!file)
    return file.takeError();
  std::unique_ptr<SafetensorsFile> result(new SafetensorsFile());
  result->sourceName_ = path;
  result->mapping_ = file.takeValue();
  result->data_ = result->mapping_->data();
  result->size_ = result->mapping_->size();
  if (Error err = result->parse())
    return err.withContext(path);
  return result;
}

Expected<std::unique_ptr<SafetensorsFile>>
SafetensorsFile::fromBytes(const void *data, size_t size, const std::string &sourceName) {
  if (!data && size)
    return makeError(sourceName, ": null data");
  std::unique_ptr<SafetensorsFile> result(new SafetensorsFile());
  result->sourceName_ = sourceName;
  const auto *bytes = static_cast<const uint8_t *>(data);
  result->copy_.assign(bytes, bytes + size);
  result->data_ = result->copy_.data();
  result->size_ = size;
  if (Error err = result->parse())
    return err.withContext(sourceName);
  return result;
}

Error SafetensorsFile::parse() {
  if (size_ < 8)
    return makeError("truncated: ", size_, " bytes, too short for the 8-byte header length");
  uint64_t headerSize = 0;
  for (int i = 0; i < 8; ++i)
    headerSize |= uint64_t(data_[i]) << (8 * i);
  if (headerSize > kMaxHeaderSize)
    return makeError("header length ", headerSize, " exceeds the limit of ", kMaxHeaderSize,
                     " bytes (not a safetensors file?)");
  if (headerSize > size_ - 8)
    return makeError("truncated: header length ", headerSize, " but only ", size_ - 8,
                     " bytes follow");
  std::string_view text(reinterpret_cast<const char *>(data_ + 8), headerSize);
  if (text.empty() || text[0] != '{')
    return makeError("header does not start with '{' (not a safetensors file?)");
  Expected<JsonValue> header = parseJson(text);
  if (!header)
    return header.takeError().withContext("header");
  if (!header->isObject())
    return makeError("header must be a JSON object");

  const uint8_t *dataStart = data_ + 8 + headerSize;
  uint64_t dataSize = size_ - 8 - headerSize;
  for (const auto &[name, value] : header->objectMembers()) {
    if (name == "__metadata__") {
      if (!value.isObject())
        return makeError("__metadata__ must be an object");
      for (const auto &[key, item] : value.objectMembers()) {
        if (!item.isString())
          return makeError("__metadata__ value of \"", key, "\" must be a string");
        metadata_[key] = item.stringValue();
      }
      continue;
    }
    SafetensorsTensor tensor;
    if (Error err = parseEntry(name, value, dataSize, dataStart, tensor))
      return err;
    names_.push_back(name);
    tensors_.push_back(std::move(tensor));
  }

  // The ranges must tile [0, dataSize) exactly.
  std::vector<const SafetensorsTensor *> sorted;
  for (const SafetensorsTensor &tensor : tensors_)
    sorted.push_back(&tensor);
  std::sort(sorted.begin(), sorted.end(), [](const auto *a, const auto *b) {
    return a->data != b->data ? a->data < b->data : a->size < b->size;
  });
  uint64_t expected = 0;
  const SafetensorsTensor *previous = nullptr;
  for (const SafetensorsTensor *tensor : sorted) {
    uint64_t begin = static_cast<uint64_t>(tensor->data - dataStart);
    if (begin < expected)
      return makeError("tensors '", previous->name, "' and '", tensor->name,
                       "' overlap in the data area");
    if (begin > expected)
      return makeError("bytes [", expected, ", ", begin, ") of the data area belong to no tensor");
    expected = begin + tensor->size;
    previous = tensor;
  }
  if (expected != dataSize)
    return makeError(dataSize - expected, " bytes after the last tensor belong to no tensor");
  return Error::success();
}

const SafetensorsTensor *SafetensorsFile::find(const std::string &name) const {
  for (size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == name)
      return &tensors_[i];
  return nullptr;
}

Expected<const SafetensorsTensor *> SafetensorsFile::get(const std::string &name) const {
  if (const SafetensorsTensor *tensor = find(name))
    return tensor;
  return makeError(sourceName_, ": no tensor named '", name, "'");
}

Expected<Tensor> SafetensorsFile::readF32(const std::string &name) const {
  Expected<const SafetensorsTensor *> found = get(name);
  if (!found)
    return found.takeError();
  const SafetensorsTensor &src = **found;
  std::string where = sourceName_ + ": tensor '" + name + "'";
  switch (src.dtype) {
  case SafetensorsDType::F32:
  case SafetensorsDType::F64:
  case SafetensorsDType::F16:
  case SafetensorsDType::BF16:
    break;
  default:
    return makeError(where, " has dtype ", safetensorsDTypeName(src.dtype),
                     "; only F32, F64, F16 and BF16 can be read as f32");
  }
  Expected<Tensor> tensor = Tensor::zeros(DType::F32, src.shape);
  if (!tensor)
    return tensor.takeError().withContext(where);
  float *out = tensor->dataAs<float>();
  const uint8_t *in = src.data;
  uint64_t n = src.numElements;
  // The source may be unaligned inside the file, so every element goes through memcpy.
  switch (src.dtype) {
  case SafetensorsDType::F32:
    if (n)
      std::memcpy(out, in, n * 4);
    break;
  case SafetensorsDType::F64:
    for (uint64_t i = 0; i < n; ++i) {
      double d;
      std::memcpy(&d, in + 8 * i, 8);
      out[i] = static_cast<float>(d);
    }
    break;
  case SafetensorsDType::F16:
    for (uint64_t i = 0; i < n; ++i) {
      uint16_t h;
      std::memcpy(&h, in + 2 * i, 2);
      out[i] = halfToFloat(h);
    }
    break;
  case SafetensorsDType::BF16:
    for (uint64_t i = 0; i < n; ++i) {
      uint16_t h;
      std::memcpy(&h, in + 2 * i, 2);
      uint32_t bits = uint32_t(h) << 16;
      std::memcpy(&out[i], &bits, 4);
    }
    break;
  default:
    break;
  }
  return tensor;
}

} // namespace tessera::runtime
