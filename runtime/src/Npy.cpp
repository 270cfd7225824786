// .npy reader and writer. The header is a Python dict literal; rather than accept anything
// Python would, this parses the exact subset numpy writes (string, bool and int-tuple values)
// and rejects the rest, so a corrupt header can never be half-understood.
#include "tessera/Npy.h"

#include "tessera/MappedFile.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>

namespace tessera::runtime {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

struct Header {
  std::string descr;
  bool fortranOrder = false;
  Shape shape;
};

class HeaderParser {
public:
  explicit HeaderParser(std::string_view text) : text_(text) {}

  Expected<Header> parse() {
    Header header;
    bool haveDescr = false, haveOrder = false, haveShape = false;
    skipSpace();
    if (!consume('{'))
      return fail("expected '{'");
    for (;;) {
      skipSpace();
      if (consume('}'))
        break;
      Expected<std::string> key = parseString();
      if (!key)
        return key.takeError();
      skipSpace();
      if (!consume(':'))
        return fail("expected ':' after key '" + *key + "'");
      skipSpace();
      if (*key == "descr") {
        if (haveDescr)
          return fail("duplicate key 'descr'");
        haveDescr = true;
        if (peek() == '[')
          return makeError("unsupported dtype: structured arrays are not supported");
        Expected<std::string> descr = parseString();
        if (!descr)
          return descr.takeError();
        header.descr = *descr;
      } else if (*key == "fortran_order") {
        if (haveOrder)
          return fail("duplicate key 'fortran_order'");
        haveOrder = true;
        if (consumeWord("True"))
          header.fortranOrder = true;
        else if (consumeWord("False"))
          header.fortranOrder = false;
        else
          return fail("fortran_order must be True or False");
      } else if (*key == "shape") {
        if (haveShape)
          return fail("duplicate key 'shape'");
        haveShape = true;
        if (Error err = parseShape(header.shape))
          return err;
      } else {
        return fail("unexpected key '" + *key + "'");
      }
      skipSpace();
      if (consume(','))
        continue;
      skipSpace();
      if (consume('}'))
        break;
      return fail("expected ',' or '}'");
    }
    skipSpace();
    if (pos_ != text_.size())
      return fail("unexpected text after the header dict");
    if (!haveDescr || !haveOrder || !haveShape)
      return makeError("malformed header: missing ", !haveDescr   ? "'descr'"
                                                     : !haveOrder ? "'fortran_order'"
                                                                  : "'shape'");
    return header;
  }

private:
  Error fail(const std::string &what) const {
    return makeError("malformed header at byte ", pos_, ": ", what);
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool consume(char c) {
    if (peek() != c)
      return false;
    ++pos_;
    return true;
  }
  bool consumeWord(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word)
      return false;
    pos_ += word.size();
    return true;
  }
  void skipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\t' || text_[pos_] == '\r'))
      ++pos_;
  }
  Expected<std::string> parseString() {
    char quote = peek();
    if (quote != '\'' && quote != '"')
      return fail("expected a quoted string");
    ++pos_;
    size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\' || text_[pos_] == '\n')
        return fail("unsupported character in string");
      ++pos_;
    }
    if (pos_ >= text_.size())
      return fail("unterminated string");
    std::string value(text_.substr(start, pos_ - start));
    ++pos_;
    return value;
  }
  Error parseShape(Shape &shape) {
    if (!consume('('))
      return fail("shape must be a tuple");
    for (;;) {
      skipSpace();
      if (consume(')'))
        return Error::success();
      if (peek() < '0' || peek() > '9')
        return fail("shape entries must be non-negative integers");
      uint64_t value = 0;
      while (peek() >= '0' && peek() <= '9') {
        uint64_t digit = static_cast<uint64_t>(peek() - '0');
        if (value > (uint64_t(std::numeric_limits<int64_t>::max()) - digit) / 10)
          return fail("absurd dimension in shape");
        value = value * 10 + digit;
        ++pos_;
      }
      consume('L'); // Python 2 era files write long integers as 3L.
      if (shape.size() == kNpyMaxRank)
        return fail(concat("shape has more than ", kNpyMaxRank, " dimensions"));
      shape.push_back(static_cast<int64_t>(value));
      skipSpace();
      if (consume(')'))
        return Error::success();
      if (!consume(','))
        return fail("expected ',' or ')' in shape");
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// Maps a descr to a DType, or explains why not.
Expected<DType> dtypeFromDescr(const std::string &descr) {
  if (descr == "<f4")
    return DType::F32;
  if (descr == "<i4")
    return DType::I32;
  if (descr == "<i8")
    return DType::I64;
  static const std::map<std::string, const char *> kKnown = {
      {"f2", "float16"}, {"f4", "float32"},   {"f8", "float64"},    {"f16", "float128"},
      {"i1", "int8"},    {"i2", "int16"},     {"i4", "int32"},      {"i8", "int64"},
      {"u1", "uint8"},   {"u2", "uint16"},    {"u4", "uint32"},     {"u8", "uint64"},
      {"b1", "bool"},    {"c8", "complex64"}, {"c16", "complex128"}};
  const char *kSupported = "supported: '<f4' (float32), '<i4' (int32), '<i8' (int64)";
  if (descr.size() >= 2) {
    char order = descr[0];
    auto known = kKnown.find(descr.substr(1));
    if (known != kKnown.end()) {
      if (order == '>')
        return makeError("unsupported dtype '", descr, "' (big-endian ", known->second,
                         "): convert to little-endian, e.g. arr.astype('<", descr.substr(1), "')");
      std::string kind = known->second;
      if (kind == "float64" || kind == "float16" || kind == "float128")
        return makeError("unsupported dtype '", descr, "' (", kind, "): convert to float32");
      return makeError("unsupported dtype '", descr, "' (", kind, "); ", kSupported);
    }
  }
  return makeError("unsupported dtype '", descr, "'; ", kSupported);
}

uint32_t readLE(const uint8_t *p, size_t bytes) {
  uint32_t value = 0;
  for (size_t i = 0; i < bytes; ++i)
    value |= uint32_t(p[i]) << (8 * i);
  return value;
}

} // namespace

Expected<Tensor> parseNpy(const uint8_t *data, size_t size) {
  if (size == 0)
    return makeError("empty file, expected a .npy array");
  if (size < kMagicSize || std::memcmp(data, kMagic, kMagicSize) != 0)
    return makeError("not a .npy file (bad magic)");
  if (size < 8)
    return makeError("truncated header");
  uint8_t major = data[6], minor = data[7];
  size_t lengthBytes;
  if (major == 1 && minor == 0)
    lengthBytes = 2;
  else if ((major == 2 || major == 3) && minor == 0)
    lengthBytes = 4;
  else
    return makeError("unsupported .npy format version ", int(major), ".", int(minor));
  size_t headerStart = 8 + lengthBytes;
  if (size < headerStart)
    return makeError("truncated header");
  size_t headerSize = readLE(data + 8, lengthBytes);
  if (headerSize > kNpyMaxHeaderSize)
    return makeError("header of ", headerSize, " bytes is too large");
  if (headerSize > size - headerStart)
    return makeError("truncated header (", headerSize, " bytes declared, ", size - headerStart,
                     " present)");
  std::string_view text(reinterpret_cast<const char *>(data + headerStart), headerSize);
  Expected<Header> header = HeaderParser(text).parse();
  if (!header)
    return header.takeError();
  Expected<DType> dtype = dtypeFromDescr(header->descr);
  if (!dtype)
    return dtype.takeError();
  if (header->fortranOrder)
    return makeError("fortran_order is True: save a C-ordered array "
                     "(np.save(f, np.ascontiguousarray(a)))");
  Expected<uint64_t> bytes = checkedByteSize(*dtype, header->shape);
  if (!bytes)
    return makeError("absurd shape ", formatShape(header->shape));
  size_t dataStart = headerStart + headerSize;
  size_t available = size - dataStart;
  if (available < *bytes)
    return makeError("truncated data: ", formatTensorType(*dtype, header->shape), " needs ", *bytes,
                     " bytes, file has ", available);
  if (available > *bytes)
    return makeError("data size mismatch: ", formatTensorType(*dtype, header->shape), " needs ",
                     *bytes, " bytes, file has ", available);
  Expected<Tensor> tensor = Tensor::zeros(*dtype, header->shape);
  if (!tensor)
    return tensor.takeError();
  if (*bytes)
    std::memcpy(tensor->data(), data + dataStart, *bytes);
  return tensor;
}

Expected<Tensor> readNpyFile(const std::string &path) {
  Expected<std::unique_ptr<MappedFile>> file = MappedFile::open(path);
  if (!file)
    return file.takeError();
  Expected<Tensor> tensor = parseNpy((*file)->data(), (*file)->size());
  if (!tensor)
    return tensor.takeError().withContext(path);
  return tensor;
}

std::vector<uint8_t> encodeNpy(DType dtype, const Shape &shape, const void *data) {
  const char *descr = dtype == DType::F32 ? "<f4" : dtype == DType::I32 ? "<i4" : "<i8";
  std::string dict = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i)
    dict += std::to_string(shape[i]) + (shape.size() == 1 ? "," : i + 1 < shape.size() ? ", " : "");
  dict += "), }";
  // numpy pads with spaces so the data starts on a 64-byte boundary, ending with '\n'.
  size_t total = 10 + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';
  uint64_t bytes = 1;
  for (int64_t dim : shape)
    bytes *= static_cast<uint64_t>(dim);
  bytes *= dtypeSize(dtype);

  std::vector<uint8_t> out(kMagic, kMagic + kMagicSize);
  out.push_back(1);
  out.push_back(0);
  out.push_back(static_cast<uint8_t>(dict.size() & 0xFF));
  out.push_back(static_cast<uint8_t>(dict.size() >> 8));
  out.insert(out.end(), dict.begin(), dict.end());
  const auto *bytesIn = static_cast<const uint8_t *>(data);
  if (bytes)
    out.insert(out.end(), bytesIn, bytesIn + bytes);
  return out;
}

Error writeNpyFile(const std::string &path, DType dtype, const Shape &shape, const void *data) {
  if (Expected<uint64_t> bytes = checkedByteSize(dtype, shape); !bytes)
    return bytes.takeError().withContext(path);
  std::vector<uint8_t> encoded = encodeNpy(dtype, shape, data);
  FILE *file = std::fopen(path.c_str(), "wb");
  if (!file)
    return makeError(path, ": cannot open for writing: ", std::strerror(errno));
  bool ok = std::fwrite(encoded.data(), 1, encoded.size(), file) == encoded.size();
  ok = (std::fclose(file) == 0) && ok;
  if (!ok)
    return makeError(path, ": write failed: ", std::strerror(errno));
  return Error::success();
}

} // namespace tessera::runtime
