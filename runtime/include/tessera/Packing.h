// Panel packing of constant contraction operands: the layout the CPU contraction kernels
// stream their rhs from. The compiler packs embedded weights when it writes a module; the
// runtime packs seeded (and, later, external) weights once, when a session is created. Both
// use this one definition.
//
// The source is a row-major f32 tensor of shape S (rank r). Its dimensions are reordered by
// `permutation` (packed dimension i is source dimension permutation[i]), then dimension
// `panelDim` of the reordered tensor is cut into panels of `panel` consecutive indices that
// move innermost:
//
//   packed shape  [P_0, .., ceil(P_k / panel), .., P_{r-1}, panel]   (k = panelDim)
//   packed[i_0, .., p, .., i_{r-1}, l] = source[j] with j[permutation[i]] = i_i for i != k and
//                                        j[permutation[k]] = p * panel + l,
//                                        or 0 when p * panel + l >= P_k.
#ifndef TESSERA_RUNTIME_PACKING_H
#define TESSERA_RUNTIME_PACKING_H

#include "tessera/DType.h"
#include "tessera/Error.h"

#include <cstdint>
#include <vector>

namespace tessera::runtime {

struct PanelPacking {
  Shape source;
  std::vector<uint32_t> permutation;
  uint32_t panelDim = 0;
  uint32_t panel = 1;
  // Where the source starts within the parameter it comes from (a seeded fill generates
  // elements [sourceOffset, sourceOffset + numel(source)) of the parameter).
  uint64_t sourceOffset = 0;
};

// The packed shape, or an error when the description is inconsistent (permutation not a
// permutation of the source's dimensions, panelDim out of range, panel 0, overflow).
Expected<Shape> packedShape(const PanelPacking &packing);

// Writes the packed form of `source` (row-major, packing.source) into `out`, which holds
// numElements(packedShape(packing)) floats. The description must have been checked.
void packPanels(const float *source, const PanelPacking &packing, float *out);

// "panels of 32 along dim 0 of [3072, 768], permutation [0, 1]" (for dump).
std::string describePacking(const PanelPacking &packing);

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_PACKING_H
