#include "tessera/image/Heatmap.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace tessera::image {

Rgb heatColor(float t) {
  t = std::isfinite(t) ? std::clamp(t, 0.0f, 1.0f) : 0.0f;
  auto channel = [&](float center) {
    float v = std::clamp(1.5f - std::fabs(4.0f * t - center), 0.0f, 1.0f);
    return uint8_t(std::lround(v * 255.0f));
  };
  return {channel(3.0f), channel(2.0f), channel(1.0f)};
}

namespace {

/// Bilinear sample of the grid at fractional cell coordinates, clamped at the borders.
float sample(const std::vector<float> &grid, int64_t rows, int64_t cols, double y, double x) {
  y = std::clamp(y, 0.0, double(rows - 1));
  x = std::clamp(x, 0.0, double(cols - 1));
  int64_t y0 = int64_t(y), x0 = int64_t(x);
  int64_t y1 = std::min(y0 + 1, rows - 1), x1 = std::min(x0 + 1, cols - 1);
  double fy = y - double(y0), fx = x - double(x0);
  double top = grid[y0 * cols + x0] * (1 - fx) + grid[y0 * cols + x1] * fx;
  double bottom = grid[y1 * cols + x0] * (1 - fx) + grid[y1 * cols + x1] * fx;
  return float(top * (1 - fy) + bottom * fy);
}

} // namespace

Image blendHeatmap(const Image &picture, const float *values, int64_t rows, int64_t cols) {
  // Normalized to [0, 1]: attention rows differ in scale from layer to layer.
  std::vector<float> grid(values, values + rows * cols);
  float lo = INFINITY, hi = -INFINITY;
  for (float v : grid)
    if (std::isfinite(v)) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  for (float &v : grid)
    v = !std::isfinite(v) || !(hi > lo) ? 0.0f : (v - lo) / (hi - lo);

  Image out;
  out.width = picture.width;
  out.height = picture.height;
  out.channels = 3;
  out.pixels.resize(size_t(out.width * out.height * 3));
  for (int64_t y = 0; y < out.height; ++y) {
    double gy = (double(y) + 0.5) * double(rows) / double(out.height) - 0.5;
    for (int64_t x = 0; x < out.width; ++x) {
      double gx = (double(x) + 0.5) * double(cols) / double(out.width) - 0.5;
      float t = sample(grid, rows, cols, gy, gx);
      Rgb color = heatColor(t);
      float alpha = 0.2f + 0.6f * t;
      // The picture in gray underneath, so every color is the heat map's.
      float base = picture.channels >= 3
                       ? 0.299f * picture.at(y, x, 0) + 0.587f * picture.at(y, x, 1) +
                             0.114f * picture.at(y, x, 2)
                       : float(picture.at(y, x, 0));
      for (int64_t c = 0; c < 3; ++c)
        out.at(y, x, c) = uint8_t(std::lround(base * (1 - alpha) + color[size_t(c)] * alpha));
    }
  }
  return out;
}

} // namespace tessera::image
