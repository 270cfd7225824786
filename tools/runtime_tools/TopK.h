// `--topk K [--labels FILE]`: the K largest scores of a classifier's output, per batch row.
#ifndef TESSERA_TOOLS_TOPK_H
#define TESSERA_TOOLS_TOPK_H

#include "tessera/Tensor.h"

#include <string>
#include <vector>

namespace tessera::tools {

// One label per line (a trailing newline and '\r' are ignored); empty lines count as labels.
runtime::Expected<std::vector<std::string>> readLabels(const std::string &path);

// Whether `tensor` is scores per class: f32 [classes] or [batch, classes].
bool isClassScores(const runtime::Tensor &tensor);

// The K best classes of each row with their score and softmax probability, one line each.
// `labels`, when not empty, must have one entry per class (checked by the caller).
std::string formatTopK(const std::string &name, const runtime::Tensor &tensor, int64_t k,
                       const std::vector<std::string> &labels);

} // namespace tessera::tools

#endif // TESSERA_TOOLS_TOPK_H
