// The dispatch graph of a module in Graphviz DOT: the inputs, every dispatch (name, the
// parameters and DSL line it came from, its FLOPs, and with timings its share of a run) and
// the outputs, with an edge wherever a dispatch reads a tensor an earlier one (or an input)
// wrote.
#ifndef TESSERA_TOOLS_DISPATCHGRAPH_H
#define TESSERA_TOOLS_DISPATCHGRAPH_H

#include "tessera/Module.h"

#include <string>
#include <vector>

namespace tessera::tools {

// `millis`, when given, holds one time per dispatch (module order): nodes then show their
// share of the total and are shaded by it.
std::string dispatchGraphDot(const runtime::Module &module,
                             const std::vector<double> *millis = nullptr);

// Writes the graph to `path` ("-": stdout).
runtime::Error writeDispatchGraph(const std::string &path, const runtime::Module &module,
                                  const std::vector<double> *millis = nullptr);

} // namespace tessera::tools

#endif // TESSERA_TOOLS_DISPATCHGRAPH_H
