// One-line descriptions of output tensors for tessera-run, e.g.
//   y: f32[2, 8] min=-0.123 max=0.456 mean=0.012 l2=1.234 values=[0.1, ...]
#ifndef TESSERA_TOOLS_TENSORSUMMARY_H
#define TESSERA_TOOLS_TENSORSUMMARY_H

#include "tessera/Tensor.h"

#include <string>

namespace tessera::tools {

std::string summarizeTensor(const std::string &name, const runtime::Tensor &tensor,
                            size_t maxValues = 8);

} // namespace tessera::tools

#endif // TESSERA_TOOLS_TENSORSUMMARY_H
