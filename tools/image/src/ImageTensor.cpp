#include "tessera/image/ImageTensor.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace tessera::image {
using runtime::Expected;
using runtime::Shape;
using runtime::Tensor;

bool parsePixelRange(const std::string &text, PixelRange &out) {
  if (text == "unit")
    out = PixelRange::Unit;
  else if (text == "raw")
    out = PixelRange::Raw;
  else if (text == "signed")
    out = PixelRange::Signed;
  else
    return false;
  return true;
}

const char *pixelRangeName(PixelRange range) {
  switch (range) {
  case PixelRange::Unit:
    return "unit";
  case PixelRange::Raw:
    return "raw";
  case PixelRange::Signed:
    return "signed";
  }
  return "?";
}

bool parseLayout(const std::string &text, Layout &out) {
  if (text == "auto")
    out = Layout::Auto;
  else if (text == "nchw")
    out = Layout::Nchw;
  else if (text == "nhwc")
    out = Layout::Nhwc;
  else
    return false;
  return true;
}

namespace {

bool parseSize(const std::string &text, int64_t &out) {
  if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  out = std::strtoll(text.c_str(), nullptr, 10);
  return out >= 1 && out <= 65535;
}

} // namespace

bool parseResizeStep(const std::string &text, ResizeStep &out) {
  size_t x = text.find('x');
  out = ResizeStep{};
  if (x == std::string::npos)
    return parseSize(text, out.shorter);
  return parseSize(text.substr(0, x), out.width) && parseSize(text.substr(x + 1), out.height);
}

Expected<ImageShape> imageShapeOf(const Shape &shape, Layout layout, const std::string &what) {
  Shape dims = shape;
  if (dims.size() == 4) {
    if (dims[0] != 1)
      return runtime::makeError(what, " has batch ", dims[0], " (", runtime::formatShape(shape),
                                "); an image fills a batch of 1, give a .npy for larger ones");
    dims.erase(dims.begin());
  }
  if (dims.size() == 2)
    return ImageShape{1, dims[0], dims[1], false};
  if (dims.size() != 3)
    return runtime::makeError(what, " is ", runtime::formatShape(shape),
                              ", not an image shape ([1, C, H, W], [C, H, W], their channels-last "
                              "forms, or [H, W])");
  auto isChannels = [](int64_t n) { return n == 1 || n == 3; };
  if (layout == Layout::Auto) {
    bool first = isChannels(dims[0]), last = isChannels(dims[2]);
    if (first == last)
      return runtime::makeError(what, " is ", runtime::formatShape(shape),
                                ": cannot tell where its channels are; give --layout nchw or nhwc");
    layout = first ? Layout::Nchw : Layout::Nhwc;
  }
  ImageShape result;
  result.channelsLast = layout == Layout::Nhwc;
  result.channels = result.channelsLast ? dims[2] : dims[0];
  result.height = result.channelsLast ? dims[0] : dims[1];
  result.width = result.channelsLast ? dims[1] : dims[2];
  if (!isChannels(result.channels))
    return runtime::makeError(what, " is ", runtime::formatShape(shape), " with ", result.channels,
                              " channels in ", result.channelsLast ? "nhwc" : "nchw",
                              " layout; an image has 1 or 3");
  return result;
}

Expected<Image> applyGeometry(const Image &image, const Preprocess &preprocess) {
  Image current = image;
  for (const ResizeStep &step : preprocess.resize) {
    int64_t width = step.width, height = step.height;
    if (step.shorter > 0) {
      bool wide = current.width >= current.height;
      int64_t shortSide = wide ? current.height : current.width;
      int64_t longSide = wide ? current.width : current.height;
      int64_t newLong = step.shorter * longSide / shortSide;
      width = wide ? newLong : step.shorter;
      height = wide ? step.shorter : newLong;
    }
    if (width * height > kMaxImagePixels)
      return runtime::makeError("resizing to ", width, "x", height, " exceeds the ",
                                kMaxImagePixels, "-pixel limit");
    current = resize(current, width, height, preprocess.interpolation);
  }
  if (preprocess.cropWidth > 0) {
    Expected<Image> cropped = centerCrop(current, preprocess.cropWidth, preprocess.cropHeight);
    if (!cropped)
      return cropped.takeError();
    current = cropped.takeValue();
  }
  return current;
}

namespace {

float scalePixel(uint8_t pixel, PixelRange range) {
  float value = float(pixel);
  switch (range) {
  case PixelRange::Unit:
    return value / 255.0f;
  case PixelRange::Raw:
    return value;
  case PixelRange::Signed:
    return value / 127.5f - 1.0f;
  }
  return value;
}

uint8_t unscaleValue(float value, PixelRange range) {
  float x = value;
  if (range == PixelRange::Unit)
    x = value * 255.0f;
  else if (range == PixelRange::Signed)
    x = (value + 1.0f) * 127.5f;
  if (!(x >= 0.0f)) // also NaN
    return 0;
  if (x >= 255.0f)
    return 255;
  return uint8_t(std::nearbyint(x));
}

runtime::Error checkNormalization(const Preprocess &preprocess, int64_t channels,
                                  const std::string &what) {
  for (const std::vector<float> *values : {&preprocess.mean, &preprocess.std})
    if (!values->empty() && int64_t(values->size()) != channels)
      return runtime::makeError(what, " has ", channels, " channels but --",
                                values == &preprocess.mean ? "mean" : "std", " gives ",
                                values->size(), " values");
  for (float s : preprocess.std)
    if (!(s != 0.0f) || !std::isfinite(s))
      return runtime::makeError("--std values must be finite and non-zero");
  return runtime::Error::success();
}

} // namespace

Expected<Tensor> imageToTensor(const Image &image, const Preprocess &preprocess, const Shape &shape,
                               const std::string &what) {
  Expected<ImageShape> layout = imageShapeOf(shape, preprocess.layout, what);
  if (!layout)
    return layout.takeError();
  if (image.channels != layout->channels)
    return runtime::makeError("the image is ", image.channels == 1 ? "grayscale" : "RGB", " but ",
                              what, " wants ", layout->channels == 1 ? "1 channel" : "3 (RGB)",
                              layout->channels == 1 ? "" : " channels", " (",
                              runtime::formatShape(shape), "); convert the image first");
  if (runtime::Error err = checkNormalization(preprocess, layout->channels, what))
    return err;
  Expected<Image> shaped = applyGeometry(image, preprocess);
  if (!shaped)
    return shaped.takeError();
  if (shaped->width != layout->width || shaped->height != layout->height)
    return runtime::makeError(
        "the image is ", shaped->width, "x", shaped->height,
        preprocess.resize.empty() && preprocess.cropWidth == 0 ? "" : " after preprocessing",
        " but ", what, " wants ", layout->width, "x", layout->height, " (width x height, ",
        runtime::formatShape(shape), "); give --resize and/or --center-crop");
  Expected<Tensor> tensor = Tensor::zeros(runtime::DType::F32, shape);
  if (!tensor)
    return tensor.takeError();
  float *out = tensor->dataAs<float>();
  int64_t c = layout->channels, h = layout->height, w = layout->width;
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      for (int64_t k = 0; k < c; ++k) {
        float value = scalePixel(shaped->at(y, x, k), preprocess.range);
        if (!preprocess.mean.empty())
          value = value - preprocess.mean[k];
        if (!preprocess.std.empty())
          value = value / preprocess.std[k];
        size_t index = layout->channelsLast ? (y * w + x) * c + k : (k * h + y) * w + x;
        out[index] = value;
      }
  return tensor;
}

Expected<Image> tensorToImage(const float *data, const Shape &shape, const Preprocess &preprocess,
                              const std::string &what) {
  Expected<ImageShape> layout = imageShapeOf(shape, preprocess.layout, what);
  if (!layout)
    return layout.takeError();
  if (runtime::Error err = checkNormalization(preprocess, layout->channels, what))
    return err;
  int64_t c = layout->channels, h = layout->height, w = layout->width;
  if (h * w > kMaxImagePixels)
    return runtime::makeError(what, " is ", w, "x", h, ": over the ", kMaxImagePixels,
                              "-pixel limit of an image");
  Image image{w, h, c, {}};
  image.pixels.resize(size_t(w) * h * c);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      for (int64_t k = 0; k < c; ++k) {
        size_t index = layout->channelsLast ? (y * w + x) * c + k : (k * h + y) * w + x;
        float value = data[index];
        if (!preprocess.std.empty())
          value = value * preprocess.std[k];
        if (!preprocess.mean.empty())
          value = value + preprocess.mean[k];
        image.at(y, x, k) = unscaleValue(value, preprocess.range);
      }
  return image;
}

} // namespace tessera::image
