// JPEG through libjpeg-turbo with its default (accurate integer DCT, fancy upsampling) settings,
// the ones Pillow uses, so decoded pixels match what a PyTorch pipeline sees.
#include "ImageCodecs.h"

#include <cstdio>
// jpeglib.h needs size_t and FILE declared first.
#include <jerror.h>
#include <jpeglib.h>

#include <csetjmp>
#include <memory>

namespace tessera::image::detail {
using runtime::Expected;

namespace {

struct JpegErrors {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = {0};
};

[[noreturn]] void onError(j_common_ptr info) {
  auto *errors = reinterpret_cast<JpegErrors *>(info->err);
  errors->manager.format_message(info, errors->message);
  std::longjmp(errors->jump, 1);
}

// A truncated file is only a warning to libjpeg (it pads with gray); here it is an error.
// Other warnings (extraneous bytes between markers and the like) leave the pixels intact.
void onMessage(j_common_ptr info, int level) {
  auto *errors = reinterpret_cast<JpegErrors *>(info->err);
  if (level < 0 && errors->manager.msg_code == JWRN_JPEG_EOF) {
    std::snprintf(errors->message, sizeof(errors->message), "the file is truncated");
    std::longjmp(errors->jump, 1);
  }
}

} // namespace

Expected<Image> decodeJpeg(const uint8_t *data, size_t size) {
  auto decoder = std::make_unique<jpeg_decompress_struct>();
  auto errors = std::make_unique<JpegErrors>();
  auto image = std::make_unique<Image>();
  decoder->err = jpeg_std_error(&errors->manager);
  errors->manager.error_exit = onError;
  errors->manager.emit_message = onMessage;
  if (setjmp(errors->jump)) {
    jpeg_destroy_decompress(decoder.get());
    return runtime::makeError("bad JPEG: ", errors->message);
  }
  jpeg_create_decompress(decoder.get());
  jpeg_mem_src(decoder.get(), data, static_cast<unsigned long>(size));
  jpeg_read_header(decoder.get(), TRUE);
  uint64_t pixels = uint64_t(decoder->image_width) * decoder->image_height;
  if (pixels > uint64_t(kMaxImagePixels)) {
    uint64_t width = decoder->image_width, height = decoder->image_height;
    jpeg_destroy_decompress(decoder.get());
    return runtime::makeError("the JPEG is ", width, "x", height, " (", pixels,
                              " pixels); the most Tessera decodes is ", kMaxImagePixels);
  }
  J_COLOR_SPACE space = decoder->jpeg_color_space;
  if (space == JCS_CMYK || space == JCS_YCCK) {
    jpeg_destroy_decompress(decoder.get());
    return runtime::makeError("CMYK JPEGs are not supported; convert the image to RGB");
  }
  decoder->out_color_space = space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(decoder.get());
  image->width = decoder->output_width;
  image->height = decoder->output_height;
  image->channels = decoder->output_components;
  image->pixels.resize(size_t(image->width) * image->height * image->channels);
  while (decoder->output_scanline < decoder->output_height) {
    JSAMPROW row =
        image->pixels.data() + size_t(decoder->output_scanline) * image->width * image->channels;
    jpeg_read_scanlines(decoder.get(), &row, 1);
  }
  jpeg_finish_decompress(decoder.get());
  jpeg_destroy_decompress(decoder.get());
  return std::move(*image);
}

} // namespace tessera::image::detail
