// `--detections FILE.png [--threshold T]` for detectors (DETR's PostProcess): the queries
// whose score reaches the threshold, printed as JSON and drawn as labelled boxes over the
// picture the model saw. The module's outputs must be named as DETR's: scores [B, Q] (f32),
// labels [B, Q] (i32 or i64) and boxes [B, Q, 4] (f32 cx, cy, w, h relative to the image).
#ifndef TESSERA_TOOLS_DETECTIONS_H
#define TESSERA_TOOLS_DETECTIONS_H

#include "tessera/Module.h"
#include "tessera/Tensor.h"
#include "tessera/image/Image.h"

#include <string>
#include <vector>

namespace tessera::tools {

struct Detection {
  int64_t batch = 0, query = 0, label = 0;
  float score = 0;
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0; // pixels of a width x height picture
};

// Empty when the outputs have the names, types and shapes above; else what is wrong.
std::string checkDetectionOutputs(const std::vector<runtime::TensorSpec> &outputs);

// The detections of batch row 0.. in query order, boxes scaled to width x height.
std::vector<Detection> collectDetections(const std::vector<runtime::TensorSpec> &specs,
                                         const std::vector<runtime::Tensor> &outputs,
                                         float threshold, int64_t width, int64_t height);

// {"detections": [{"batch": 0, "query": 3, "label": 17, "name": "cat", "score": 0.98,
//   "box": [x0, y0, x1, y1]}, ...]} ("name" only with labels).
std::string detectionsJson(const std::vector<Detection> &detections,
                           const std::vector<std::string> &labels);

// Boxes of batch row 0 with "name 0.98" above each, colored by class.
void drawDetections(image::Image &picture, const std::vector<Detection> &detections,
                    const std::vector<std::string> &labels);

} // namespace tessera::tools

#endif // TESSERA_TOOLS_DETECTIONS_H
