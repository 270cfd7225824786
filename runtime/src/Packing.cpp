#include "tessera/Packing.h"

#include <algorithm>
#include <cstring>

namespace tessera::runtime {

Expected<Shape> packedShape(const PanelPacking &packing) {
  size_t rank = packing.source.size();
  if (rank == 0)
    return makeError("packing of a scalar");
  if (packing.permutation.size() != rank)
    return makeError("packing permutation has ", packing.permutation.size(),
                     " entries for a source of rank ", rank);
  std::vector<bool> seen(rank, false);
  for (uint32_t p : packing.permutation) {
    if (p >= rank || seen[p])
      return makeError("packing permutation is not a permutation of ", rank, " dimensions");
    seen[p] = true;
  }
  if (packing.panelDim >= rank)
    return makeError("packing panel dimension ", packing.panelDim, " is out of range for rank ",
                     rank);
  if (packing.panel == 0)
    return makeError("packing panel size is 0");
  if (Expected<uint64_t> n = checkedNumElements(packing.source); !n)
    return n.takeError();
  Shape shape;
  for (uint32_t p : packing.permutation)
    shape.push_back(packing.source[p]);
  int64_t &split = shape[packing.panelDim];
  split = (split + packing.panel - 1) / packing.panel;
  shape.push_back(packing.panel);
  if (Expected<uint64_t> n = checkedNumElements(shape); !n)
    return n.takeError();
  return shape;
}

void packPanels(const float *source, const PanelPacking &packing, float *out) {
  size_t rank = packing.source.size();
  std::vector<int64_t> sourceStrides(rank, 1);
  for (size_t i = rank - 1; i > 0; --i)
    sourceStrides[i - 1] = sourceStrides[i] * packing.source[i];
  // Packed dims 0..rank-1 (the panel dim counting panels), then the lanes.
  std::vector<int64_t> extent(rank), stride(rank);
  for (size_t i = 0; i < rank; ++i) {
    extent[i] = packing.source[packing.permutation[i]];
    stride[i] = sourceStrides[packing.permutation[i]];
  }
  const uint32_t k = packing.panelDim;
  const int64_t panel = packing.panel, split = extent[k];
  extent[k] = (split + panel - 1) / panel;
  for (int64_t e : extent)
    if (e == 0)
      return;
  std::vector<int64_t> index(rank, 0);
  for (;;) {
    int64_t base = 0;
    for (size_t i = 0; i < rank; ++i)
      if (i != k)
        base += index[i] * stride[i];
    int64_t first = index[k] * panel;
    int64_t valid = std::min<int64_t>(panel, split - first);
    const float *from = source + base + first * stride[k];
    for (int64_t l = 0; l < valid; ++l)
      out[l] = from[l * stride[k]];
    for (int64_t l = valid; l < panel; ++l)
      out[l] = 0.0f;
    out += panel;
    size_t i = rank;
    while (i > 0 && ++index[i - 1] == extent[i - 1])
      index[--i] = 0;
    if (i == 0)
      return;
  }
}

std::string describePacking(const PanelPacking &packing) {
  std::string perm = "[";
  for (size_t i = 0; i < packing.permutation.size(); ++i)
    perm += (i ? ", " : "") + std::to_string(packing.permutation[i]);
  perm += "]";
  std::string from =
      packing.sourceOffset ? concat(" (from element ", packing.sourceOffset, ")") : std::string();
  return concat("panels of ", packing.panel, " along dim ", packing.panelDim, " of ",
                formatShape(packing.source), from, " permuted by ", perm);
}

} // namespace tessera::runtime
