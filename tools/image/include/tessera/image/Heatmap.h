// Heat maps over pictures: a small grid of values (attention over patches) stretched over an
// image and blended in as colors.
#ifndef TESSERA_IMAGE_HEATMAP_H
#define TESSERA_IMAGE_HEATMAP_H

#include "tessera/image/Draw.h"
#include "tessera/image/Image.h"

#include <cstdint>

namespace tessera::image {

// The color of t in [0, 1] on a blue - cyan - yellow - red ramp ("jet"); t is clamped.
Rgb heatColor(float t);

// `picture` in gray (RGB pixels) with `values` (rows x cols,
// row-major, cell (r, c) covering the r-th of `rows` horizontal bands and the c-th of `cols`
// vertical ones) blended over it: bilinearly stretched to the picture with cell centers
// aligned, scaled so the smallest value is 0 and the largest 1, and mixed in with an opacity
// growing from 0.2 to 0.8 with the value, so what is attended to stands out and the rest
// stays visible. Non-finite values count as the smallest.
Image blendHeatmap(const Image &picture, const float *values, int64_t rows, int64_t cols);

} // namespace tessera::image

#endif // TESSERA_IMAGE_HEATMAP_H
