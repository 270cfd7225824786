// The codec entry points behind decodeImage / encodePng, one file per library.
#ifndef TESSERA_IMAGE_IMAGECODECS_H
#define TESSERA_IMAGE_IMAGECODECS_H

#include "tessera/image/Image.h"

namespace tessera::image::detail {

runtime::Expected<Image> decodePng(const uint8_t *data, size_t size);
runtime::Expected<Image> decodeJpeg(const uint8_t *data, size_t size);
runtime::Expected<std::vector<uint8_t>> encodePngBytes(const Image &image);

} // namespace tessera::image::detail

#endif // TESSERA_IMAGE_IMAGECODECS_H
