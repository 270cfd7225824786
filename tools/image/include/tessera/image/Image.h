// 8-bit images for the tools and the Python package: decoding PNG and JPEG (libpng,
// libjpeg-turbo), writing PNG, resizing and cropping as Pillow/torchvision do. Nothing here is
// part of the runtime proper: a module only ever sees tensors.
#ifndef TESSERA_IMAGE_IMAGE_H
#define TESSERA_IMAGE_IMAGE_H

#include "tessera/Error.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tessera::image {

// Row-major, interleaved channels (HWC): 1 = gray, 3 = RGB.
struct Image {
  int64_t width = 0;
  int64_t height = 0;
  int64_t channels = 0;
  std::vector<uint8_t> pixels;

  uint8_t &at(int64_t y, int64_t x, int64_t c) { return pixels[(y * width + x) * channels + c]; }
  uint8_t at(int64_t y, int64_t x, int64_t c) const {
    return pixels[(y * width + x) * channels + c];
  }
};

// The most pixels a decoder accepts; larger headers are refused before anything is allocated.
constexpr int64_t kMaxImagePixels = int64_t(1) << 26;

// True when the bytes start like a PNG or a JPEG file.
bool looksLikeImage(const uint8_t *data, size_t size);

// Decodes an 8-bit PNG (gray, RGB, palette; alpha is dropped) or a baseline/progressive JPEG
// (gray or YCbCr). 16-bit PNGs, CMYK JPEGs, truncated or corrupt files and images over
// kMaxImagePixels are errors. Messages do not name the file; callers add it.
runtime::Expected<Image> decodeImage(const uint8_t *data, size_t size);
runtime::Expected<Image> loadImage(const std::string &path);

// Writes an 8-bit gray or RGB PNG.
runtime::Error writePng(const std::string &path, const Image &image);
runtime::Expected<std::vector<uint8_t>> encodePng(const Image &image);

enum class Interpolation { Nearest, Bilinear, Bicubic };
bool parseInterpolation(const std::string &text, Interpolation &out);
const char *interpolationName(Interpolation interpolation);

// Pillow's Image.resize (its antialiased separable filters, the support widened by the
// downscale factor; 8-bit rounding after each pass). Values may differ by one from Pillow's
// fixed-point arithmetic.
Image resize(const Image &image, int64_t width, int64_t height, Interpolation interpolation);

// torchvision's CenterCrop on an image at least as large as the crop: offsets round half to even.
runtime::Expected<Image> centerCrop(const Image &image, int64_t width, int64_t height);

// RGB -> gray with ITU-R 601 weights, as Pillow's convert("L").
Image toGray(const Image &image);
Image toRgb(const Image &image);

} // namespace tessera::image

#endif // TESSERA_IMAGE_IMAGE_H
