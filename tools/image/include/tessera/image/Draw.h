// Annotating pictures: rectangles and short text in a built-in 5x7 bitmap font (digits,
// letters, a little punctuation), for detections drawn over their input image.
#ifndef TESSERA_IMAGE_DRAW_H
#define TESSERA_IMAGE_DRAW_H

#include "tessera/image/Image.h"

#include <array>
#include <string>

namespace tessera::image {

using Rgb = std::array<uint8_t, 3>;

// The outline of [x0, x1] x [y0, y1] (pixels, clipped to the image), `thickness` wide inside;
// nothing when the rectangle lies wholly outside. Coordinates must be within +-2^40.
void drawRectangle(Image &image, int64_t x0, int64_t y0, int64_t x1, int64_t y1, Rgb color,
                   int64_t thickness);

// `text` on a filled background with its top-left corner at (x, y), each font pixel `scale`
// pixels wide. Letters are drawn as capitals; a character without a glyph is a '?'. Returns
// the width drawn.
int64_t drawLabel(Image &image, int64_t x, int64_t y, const std::string &text, Rgb foreground,
                  Rgb background, int64_t scale);

// A distinct, saturated color per class index.
Rgb classColor(int64_t label);

} // namespace tessera::image

#endif // TESSERA_IMAGE_DRAW_H
