#include "Detections.h"

#include "tessera/Json.h"
#include "tessera/image/Draw.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace tessera::tools {
using namespace tessera::runtime;

namespace {

int findSpec(const std::vector<TensorSpec> &specs, const char *name) {
  for (size_t i = 0; i < specs.size(); ++i)
    if (specs[i].name == name)
      return int(i);
  return -1;
}

std::string labelText(const Detection &d, const std::vector<std::string> &labels) {
  char score[16];
  std::snprintf(score, sizeof(score), " %.2f", d.score);
  std::string name = d.label >= 0 && size_t(d.label) < labels.size() ? labels[size_t(d.label)]
                                                                     : std::to_string(d.label);
  return name + score;
}

} // namespace

std::string checkDetectionOutputs(const std::vector<TensorSpec> &outputs) {
  int scores = findSpec(outputs, "scores"), labels = findSpec(outputs, "labels"),
      boxes = findSpec(outputs, "boxes");
  if (scores < 0 || labels < 0 || boxes < 0)
    return "--detections needs outputs named scores, labels and boxes (as DETR's "
           "PostProcess)";
  const TensorSpec &s = outputs[size_t(scores)], &l = outputs[size_t(labels)],
                   &b = outputs[size_t(boxes)];
  bool ok = s.dtype == DType::F32 && s.shape.size() == 2 &&
            (l.dtype == DType::I64 || l.dtype == DType::I32) && l.shape == s.shape &&
            b.dtype == DType::F32 && b.shape.size() == 3 && b.shape[0] == s.shape[0] &&
            b.shape[1] == s.shape[1] && b.shape[2] == 4;
  if (!ok)
    return concat("--detections needs scores f32[B, Q], labels i64 or i32 [B, Q] and boxes "
                  "f32[B, Q, 4]; the module has scores ",
                  s.typeString(), ", labels ", l.typeString(), ", boxes ", b.typeString());
  return "";
}

std::vector<Detection> collectDetections(const std::vector<TensorSpec> &specs,
                                         const std::vector<Tensor> &outputs, float threshold,
                                         int64_t width, int64_t height) {
  const Tensor &scores = outputs[size_t(findSpec(specs, "scores"))];
  const Tensor &labels = outputs[size_t(findSpec(specs, "labels"))];
  const Tensor &boxes = outputs[size_t(findSpec(specs, "boxes"))];
  int64_t batch = scores.shape()[0], queries = scores.shape()[1];
  std::vector<Detection> found;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t q = 0; q < queries; ++q) {
      int64_t i = b * queries + q;
      float score = scores.dataAs<float>()[i];
      if (!(score >= threshold))
        continue;
      Detection d;
      d.batch = b;
      d.query = q;
      d.score = score;
      d.label =
          labels.dtype() == DType::I64 ? labels.dataAs<int64_t>()[i] : labels.dataAs<int32_t>()[i];
      const float *box = boxes.dataAs<float>() + i * 4;
      // A model's garbage (NaN, infinite) box is no detection; a far-off one is clipped.
      if (!std::all_of(box, box + 4, [](float v) { return std::isfinite(v); }))
        continue;
      d.x0 = (double(box[0]) - 0.5 * double(box[2])) * double(width);
      d.y0 = (double(box[1]) - 0.5 * double(box[3])) * double(height);
      d.x1 = (double(box[0]) + 0.5 * double(box[2])) * double(width);
      d.y1 = (double(box[1]) + 0.5 * double(box[3])) * double(height);
      for (double *v : {&d.x0, &d.x1})
        *v = std::clamp(*v, -1.0, double(width));
      for (double *v : {&d.y0, &d.y1})
        *v = std::clamp(*v, -1.0, double(height));
      found.push_back(d);
    }
  return found;
}

std::string detectionsJson(const std::vector<Detection> &detections,
                           const std::vector<std::string> &labels) {
  std::string json = "{\"detections\": [";
  for (size_t i = 0; i < detections.size(); ++i) {
    const Detection &d = detections[i];
    char text[256];
    std::snprintf(text, sizeof(text), "%s{\"batch\": %lld, \"query\": %lld, \"label\": %lld",
                  i ? ", " : "", static_cast<long long>(d.batch), static_cast<long long>(d.query),
                  static_cast<long long>(d.label));
    json += text;
    if (d.label >= 0 && size_t(d.label) < labels.size())
      json += ", \"name\": " + jsonQuoted(labels[size_t(d.label)]);
    std::snprintf(text, sizeof(text), ", \"score\": %.6g, \"box\": [%.2f, %.2f, %.2f, %.2f]}",
                  double(d.score), d.x0, d.y0, d.x1, d.y1);
    json += text;
  }
  return json + "]}\n";
}

void drawDetections(image::Image &picture, const std::vector<Detection> &detections,
                    const std::vector<std::string> &labels) {
  // Lines and text grow with the picture so they stay readable on a large photo.
  int64_t scale = std::max<int64_t>(1, std::min(picture.width, picture.height) / 300);
  for (const Detection &d : detections) {
    if (d.batch != 0)
      continue;
    image::Rgb color = image::classColor(d.label);
    int64_t x0 = int64_t(std::floor(d.x0)), y0 = int64_t(std::floor(d.y0));
    image::drawRectangle(picture, x0, y0, int64_t(std::ceil(d.x1)), int64_t(std::ceil(d.y1)), color,
                         2 * scale);
    // Above the box where there is room, else inside its top edge.
    int64_t textY = y0 - 9 * scale >= 0 ? y0 - 9 * scale : std::max<int64_t>(y0, 0);
    image::drawLabel(picture, std::max<int64_t>(x0, 0), textY, labelText(d, labels), {0, 0, 0},
                     color, scale);
  }
}

} // namespace tessera::tools
