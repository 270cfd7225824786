// Images to model inputs and model outputs to images, with the preprocessing conventions of
// torchvision and timm (resize the shorter side, center-crop, scale, normalize).
#ifndef TESSERA_IMAGE_IMAGETENSOR_H
#define TESSERA_IMAGE_IMAGETENSOR_H

#include "tessera/Tensor.h"
#include "tessera/image/Image.h"

#include <string>
#include <vector>

namespace tessera::image {

// How a pixel p in 0..255 becomes a value: unit p / 255 (torchvision's ToTensor), raw p
// (iGPT), signed p / 127.5 - 1 (TTSR). All arithmetic is float32, one operation at a time, so
// numpy reproduces it bit for bit.
enum class PixelRange { Unit, Raw, Signed };
bool parsePixelRange(const std::string &text, PixelRange &out);
const char *pixelRangeName(PixelRange range);

enum class Layout { Auto, Nchw, Nhwc };
bool parseLayout(const std::string &text, Layout &out);

// One resize: the shorter side to `shorter` keeping the aspect ratio (torchvision's
// Resize(int): the longer side truncates), or exactly width x height.
struct ResizeStep {
  int64_t shorter = 0;
  int64_t width = 0;
  int64_t height = 0;
};
// "256" or "320x240" (width x height); sizes 1..65535.
bool parseResizeStep(const std::string &text, ResizeStep &out);

struct Preprocess {
  std::vector<ResizeStep> resize; // applied in order
  int64_t cropWidth = 0;          // 0: no crop
  int64_t cropHeight = 0;
  Interpolation interpolation = Interpolation::Bilinear;
  PixelRange range = PixelRange::Unit;
  // Per channel, applied after the range: (value - mean) / std. Empty: none.
  std::vector<float> mean;
  std::vector<float> std;
  Layout layout = Layout::Auto;
};

// Where a tensor shape keeps its channels, height and width (batch 1 or no batch dimension).
struct ImageShape {
  int64_t channels = 0, height = 0, width = 0;
  bool channelsLast = false;
};
// `what` names the tensor in messages ("input 'image'").
runtime::Expected<ImageShape> imageShapeOf(const runtime::Shape &shape, Layout layout,
                                           const std::string &what);

// Resizes and crops `image` as `preprocess` says; no pixel scaling.
runtime::Expected<Image> applyGeometry(const Image &image, const Preprocess &preprocess);

// The tensor of `shape` that `image` becomes: geometry, then the channel count and size checked
// against the shape, then range and normalization.
runtime::Expected<runtime::Tensor> imageToTensor(const Image &image, const Preprocess &preprocess,
                                                 const runtime::Shape &shape,
                                                 const std::string &what);

// The inverse for outputs: v * std + mean, then the range undone, clamped to 0..255 and rounded
// half to even (as torch.round / numpy.round).
runtime::Expected<Image> tensorToImage(const float *data, const runtime::Shape &shape,
                                       const Preprocess &preprocess, const std::string &what);

} // namespace tessera::image

#endif // TESSERA_IMAGE_IMAGETENSOR_H
