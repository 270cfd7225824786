// `--attention-maps DIR`: the attention probabilities a module returns (tessera compile
// --expose-attention) drawn as heat maps over the picture the model saw, for the maps whose
// keys are positions of that picture (ViT's patches, DETR's feature map).
#ifndef TESSERA_TOOLS_ATTENTIONMAPS_H
#define TESSERA_TOOLS_ATTENTIONMAPS_H

#include "Detections.h"

#include "tessera/Error.h"
#include "tessera/Module.h"
#include "tessera/Tensor.h"
#include "tessera/image/Image.h"

#include <string>
#include <vector>

namespace tessera::tools {

// "1 token + 14 x 14", "25 x 34", or "-" without a grid.
std::string describeGrid(const std::optional<runtime::SequenceGrid> &grid);

// Writes, for batch row 0 of every attention map of `module` whose keys lie on a grid (a map
// is [B.., queries, keys]; from rank 4 the dimension before the queries is the heads):
//   queries with leading tokens (ViT): what each token attends to, per head and averaged
//     over heads: LAYER.headH.png and LAYER.png (LAYER.tokenT... with several tokens);
//   queries that are positions too (DETR's encoder): the attention each position receives,
//     averaged over queries and heads: LAYER.png;
//   queries that are no positions (DETR's decoder): per query, averaged over heads:
//     LAYER.queryQ.png, only for the queries in `queries` when it is not null.
// File names are LAYER with characters other than letters, digits, '.', '_', '-' made '_'.
// Returns one line per map saying what was written or why it was skipped.
runtime::Expected<std::vector<std::string>>
writeAttentionMaps(const std::string &dir, const runtime::Module &module,
                   const std::vector<runtime::Tensor> &outputs, const image::Image &picture,
                   const std::vector<int64_t> *queries);

} // namespace tessera::tools

#endif // TESSERA_TOOLS_ATTENTIONMAPS_H
