#include "tessera/image/Image.h"

#include "ImageCodecs.h"

#include "tessera/MappedFile.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace tessera::image {
using runtime::Error;
using runtime::Expected;

namespace {

bool isPng(const uint8_t *data, size_t size) {
  static const uint8_t kMagic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  return size >= 8 && std::memcmp(data, kMagic, 8) == 0;
}

bool isJpeg(const uint8_t *data, size_t size) {
  return size >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff;
}

} // namespace

bool looksLikeImage(const uint8_t *data, size_t size) {
  return isPng(data, size) || isJpeg(data, size);
}

Expected<Image> decodeImage(const uint8_t *data, size_t size) {
  if (isPng(data, size))
    return detail::decodePng(data, size);
  if (isJpeg(data, size))
    return detail::decodeJpeg(data, size);
  return runtime::makeError("not a PNG or JPEG file");
}

Expected<Image> loadImage(const std::string &path) {
  Expected<std::unique_ptr<runtime::MappedFile>> file = runtime::MappedFile::open(path);
  if (!file)
    return file.takeError();
  Expected<Image> image = decodeImage((*file)->data(), (*file)->size());
  if (!image)
    return image.error().withContext(path);
  return image;
}

Expected<std::vector<uint8_t>> encodePng(const Image &image) {
  return detail::encodePngBytes(image);
}

Error writePng(const std::string &path, const Image &image) {
  Expected<std::vector<uint8_t>> bytes = encodePng(image);
  if (!bytes)
    return bytes.error().withContext(path);
  std::FILE *file = std::fopen(path.c_str(), "wb");
  if (!file)
    return runtime::makeError(path, ": cannot create: ", std::strerror(errno));
  size_t written = std::fwrite(bytes->data(), 1, bytes->size(), file);
  bool closed = std::fclose(file) == 0;
  if (written != bytes->size() || !closed)
    return runtime::makeError(path, ": write failed: ", std::strerror(errno));
  return Error::success();
}

bool parseInterpolation(const std::string &text, Interpolation &out) {
  if (text == "nearest")
    out = Interpolation::Nearest;
  else if (text == "bilinear")
    out = Interpolation::Bilinear;
  else if (text == "bicubic")
    out = Interpolation::Bicubic;
  else
    return false;
  return true;
}

const char *interpolationName(Interpolation interpolation) {
  switch (interpolation) {
  case Interpolation::Nearest:
    return "nearest";
  case Interpolation::Bilinear:
    return "bilinear";
  case Interpolation::Bicubic:
    return "bicubic";
  }
  return "?";
}

namespace {

// Pillow's 8-bit resampling keeps coefficients in fixed point with this many fraction bits.
constexpr int kPrecisionBits = 32 - 8 - 2;

double bilinearFilter(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

double bicubicFilter(double x) {
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0)
    return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0)
    return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

// For each output position: the first input index and fixed-point weights of its taps.
struct Taps {
  std::vector<int64_t> first;
  std::vector<int64_t> count;
  std::vector<int32_t> weights; // `stride` per output position
  int64_t stride = 0;
};

Taps computeTaps(int64_t inSize, int64_t outSize, Interpolation interpolation) {
  double support = interpolation == Interpolation::Bicubic ? 2.0 : 1.0;
  double (*filter)(double) =
      interpolation == Interpolation::Bicubic ? bicubicFilter : bilinearFilter;
  double scale = double(inSize) / double(outSize);
  double filterScale = std::max(scale, 1.0);
  support *= filterScale;
  Taps taps;
  taps.stride = int64_t(std::ceil(support)) * 2 + 1;
  taps.first.resize(outSize);
  taps.count.resize(outSize);
  taps.weights.assign(outSize * taps.stride, 0);
  std::vector<double> k(taps.stride);
  for (int64_t xx = 0; xx < outSize; ++xx) {
    double center = (xx + 0.5) * scale;
    double inverse = 1.0 / filterScale;
    int64_t xmin = std::max<int64_t>(int64_t(center - support + 0.5), 0);
    int64_t xmax = std::min<int64_t>(int64_t(center + support + 0.5), inSize) - xmin;
    double total = 0.0;
    for (int64_t x = 0; x < xmax; ++x) {
      k[x] = filter((x + xmin - center + 0.5) * inverse);
      total += k[x];
    }
    for (int64_t x = 0; x < xmax; ++x) {
      double w = total != 0.0 ? k[x] / total : k[x];
      double fixed = w * double(1 << kPrecisionBits);
      taps.weights[xx * taps.stride + x] = int32_t(w < 0 ? fixed - 0.5 : fixed + 0.5);
    }
    taps.first[xx] = xmin;
    taps.count[xx] = xmax;
  }
  return taps;
}

uint8_t clip8(int64_t value) {
  if (value >= (int64_t(1) << kPrecisionBits << 8))
    return 255;
  if (value <= 0)
    return 0;
  return uint8_t(value >> kPrecisionBits);
}

Image resampleHorizontal(const Image &in, int64_t width, Interpolation interpolation) {
  Taps taps = computeTaps(in.width, width, interpolation);
  Image out{width, in.height, in.channels, {}};
  out.pixels.resize(size_t(width) * in.height * in.channels);
  for (int64_t y = 0; y < in.height; ++y)
    for (int64_t x = 0; x < width; ++x)
      for (int64_t c = 0; c < in.channels; ++c) {
        int64_t sum = int64_t(1) << (kPrecisionBits - 1);
        for (int64_t t = 0; t < taps.count[x]; ++t)
          sum += int64_t(in.at(y, taps.first[x] + t, c)) * taps.weights[x * taps.stride + t];
        out.at(y, x, c) = clip8(sum);
      }
  return out;
}

Image resampleVertical(const Image &in, int64_t height, Interpolation interpolation) {
  Taps taps = computeTaps(in.height, height, interpolation);
  Image out{in.width, height, in.channels, {}};
  out.pixels.resize(size_t(in.width) * height * in.channels);
  for (int64_t y = 0; y < height; ++y)
    for (int64_t x = 0; x < in.width; ++x)
      for (int64_t c = 0; c < in.channels; ++c) {
        int64_t sum = int64_t(1) << (kPrecisionBits - 1);
        for (int64_t t = 0; t < taps.count[y]; ++t)
          sum += int64_t(in.at(taps.first[y] + t, x, c)) * taps.weights[y * taps.stride + t];
        out.at(y, x, c) = clip8(sum);
      }
  return out;
}

// Pillow's NEAREST resize samples the input at each output pixel's center.
Image resampleNearest(const Image &in, int64_t width, int64_t height) {
  Image out{width, height, in.channels, {}};
  out.pixels.resize(size_t(width) * height * in.channels);
  for (int64_t y = 0; y < height; ++y) {
    int64_t sy = std::min<int64_t>(int64_t((y + 0.5) * in.height / height), in.height - 1);
    for (int64_t x = 0; x < width; ++x) {
      int64_t sx = std::min<int64_t>(int64_t((x + 0.5) * in.width / width), in.width - 1);
      for (int64_t c = 0; c < in.channels; ++c)
        out.at(y, x, c) = in.at(sy, sx, c);
    }
  }
  return out;
}

} // namespace

Image resize(const Image &image, int64_t width, int64_t height, Interpolation interpolation) {
  if (width == image.width && height == image.height)
    return image;
  if (interpolation == Interpolation::Nearest)
    return resampleNearest(image, width, height);
  Image result = image;
  if (width != image.width)
    result = resampleHorizontal(result, width, interpolation);
  if (height != image.height)
    result = resampleVertical(result, height, interpolation);
  return result;
}

Expected<Image> centerCrop(const Image &image, int64_t width, int64_t height) {
  if (width > image.width || height > image.height)
    return runtime::makeError("cannot center-crop ", width, "x", height, " from a ", image.width,
                              "x", image.height, " image; resize it first");
  // Python's round(): half to even, which nearbyint does in the default rounding mode.
  int64_t top = int64_t(std::nearbyint((image.height - height) / 2.0));
  int64_t left = int64_t(std::nearbyint((image.width - width) / 2.0));
  Image out{width, height, image.channels, {}};
  out.pixels.resize(size_t(width) * height * image.channels);
  for (int64_t y = 0; y < height; ++y)
    std::memcpy(&out.at(y, 0, 0),
                image.pixels.data() + ((top + y) * image.width + left) * image.channels,
                size_t(width) * image.channels);
  return out;
}

Image toGray(const Image &image) {
  if (image.channels == 1)
    return image;
  Image out{image.width, image.height, 1, {}};
  out.pixels.resize(size_t(image.width) * image.height);
  for (size_t i = 0; i < out.pixels.size(); ++i) {
    const uint8_t *rgb = &image.pixels[i * 3];
    out.pixels[i] = uint8_t((rgb[0] * 19595 + rgb[1] * 38470 + rgb[2] * 7471 + 0x8000) >> 16);
  }
  return out;
}

Image toRgb(const Image &image) {
  if (image.channels == 3)
    return image;
  Image out{image.width, image.height, 3, {}};
  out.pixels.resize(size_t(image.width) * image.height * 3);
  for (size_t i = 0; i < image.pixels.size(); ++i)
    out.pixels[i * 3] = out.pixels[i * 3 + 1] = out.pixels[i * 3 + 2] = image.pixels[i];
  return out;
}

} // namespace tessera::image
