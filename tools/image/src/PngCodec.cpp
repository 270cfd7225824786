// PNG through libpng's classic API: the simplified API would apply gamma correction, and the
// frameworks users compare with (Pillow, torchvision) hand over the stored 8-bit values as is.
#include "ImageCodecs.h"

#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>

namespace tessera::image::detail {
using runtime::Error;
using runtime::Expected;

namespace {

// libpng reports errors by longjmp; the message is kept here for the caller.
struct PngContext {
  const uint8_t *data = nullptr;
  size_t size = 0;
  size_t offset = 0;
  char message[256] = {0};
  std::vector<uint8_t> *sink = nullptr;
};

void onError(png_structp png, png_const_charp message) {
  auto *context = static_cast<PngContext *>(png_get_error_ptr(png));
  std::snprintf(context->message, sizeof(context->message), "%s", message);
  png_longjmp(png, 1);
}

void onWarning(png_structp, png_const_charp) {}

void readFromMemory(png_structp png, png_bytep out, png_size_t length) {
  auto *context = static_cast<PngContext *>(png_get_io_ptr(png));
  if (context->size - context->offset < length)
    png_error(png, "the file is truncated");
  std::memcpy(out, context->data + context->offset, length);
  context->offset += length;
}

void writeToVector(png_structp png, png_bytep data, png_size_t length) {
  auto *context = static_cast<PngContext *>(png_get_io_ptr(png));
  context->sink->insert(context->sink->end(), data, data + length);
}

void flushNothing(png_structp) {}

} // namespace

Expected<Image> decodePng(const uint8_t *data, size_t size) {
  PngContext context;
  context.data = data;
  context.size = size;
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &context, onError, onWarning);
  if (!png)
    return runtime::makeError("out of memory creating the PNG decoder");
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return runtime::makeError("out of memory creating the PNG decoder");
  }
  // Everything a longjmp may leave half-built lives outside this frame's registers.
  auto image = std::make_unique<Image>();
  auto rows = std::make_unique<std::vector<png_bytep>>();
  std::string problem;
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return runtime::makeError("bad PNG: ", context.message);
  }
  png_set_read_fn(png, &context, readFromMemory);
  png_set_user_limits(png, 1 << 20, 1 << 20);
  png_read_info(png, info);
  png_uint_32 width = png_get_image_width(png, info);
  png_uint_32 height = png_get_image_height(png, info);
  int bitDepth = png_get_bit_depth(png, info);
  int colorType = png_get_color_type(png, info);
  if (uint64_t(width) * height > uint64_t(kMaxImagePixels)) {
    problem = runtime::concat("the PNG is ", width, "x", height, " (", uint64_t(width) * height,
                              " pixels); the most Tessera decodes is ", kMaxImagePixels);
  } else if (bitDepth == 16) {
    problem = "16-bit PNGs are not supported; convert the image to 8 bits per channel";
  }
  if (!problem.empty()) {
    png_destroy_read_struct(&png, &info, nullptr);
    return runtime::Error::failure(problem);
  }
  if (colorType == PNG_COLOR_TYPE_PALETTE)
    png_set_palette_to_rgb(png);
  if (colorType == PNG_COLOR_TYPE_GRAY && bitDepth < 8)
    png_set_expand_gray_1_2_4_to_8(png);
  // Alpha (a channel, or a tRNS chunk that the expansions above turn into one) is dropped, as
  // Pillow's convert("RGB") does.
  if ((colorType & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS))
    png_set_strip_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  int channels = png_get_channels(png, info);
  if (channels != 1 && channels != 3) {
    png_destroy_read_struct(&png, &info, nullptr);
    return runtime::makeError("bad PNG: ", channels, " channels after conversion");
  }
  image->width = width;
  image->height = height;
  image->channels = channels;
  image->pixels.resize(size_t(width) * height * channels);
  rows->resize(height);
  for (png_uint_32 y = 0; y < height; ++y)
    (*rows)[y] = image->pixels.data() + size_t(y) * width * channels;
  png_read_image(png, rows->data());
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return std::move(*image);
}

Expected<std::vector<uint8_t>> encodePngBytes(const Image &image) {
  if ((image.channels != 1 && image.channels != 3) || image.width <= 0 || image.height <= 0 ||
      image.width > (1 << 24) || image.height > (1 << 24))
    return runtime::makeError("cannot write a PNG of ", image.width, "x", image.height, "x",
                              image.channels, " (1 or 3 channels, positive sizes)");
  auto bytes = std::make_unique<std::vector<uint8_t>>();
  PngContext context;
  context.sink = bytes.get();
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &context, onError, onWarning);
  if (!png)
    return runtime::makeError("out of memory creating the PNG encoder");
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_write_struct(&png, nullptr);
    return runtime::makeError("out of memory creating the PNG encoder");
  }
  auto rows = std::make_unique<std::vector<png_bytep>>(image.height);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return runtime::makeError("writing the PNG failed: ", context.message);
  }
  png_set_write_fn(png, &context, writeToVector, flushNothing);
  png_set_IHDR(png, info, image.width, image.height, 8,
               image.channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int64_t y = 0; y < image.height; ++y)
    (*rows)[y] = const_cast<png_bytep>(image.pixels.data() + y * image.width * image.channels);
  png_write_image(png, rows->data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return std::move(*bytes);
}

} // namespace tessera::image::detail
