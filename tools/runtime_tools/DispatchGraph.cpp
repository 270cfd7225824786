#include "DispatchGraph.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <numeric>

namespace tessera::tools {
using namespace tessera::runtime;

namespace {

// DOT's double-quoted string: quotes and backslashes escaped, "\n" kept as a line break.
std::string quote(const std::string &text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string formatBytes(uint64_t bytes) {
  char text[32];
  if (bytes >= (uint64_t(1) << 20))
    std::snprintf(text, sizeof(text), "%.1f MiB", double(bytes) / double(1 << 20));
  else if (bytes >= 1024)
    std::snprintf(text, sizeof(text), "%.1f KiB", double(bytes) / 1024.0);
  else
    std::snprintf(text, sizeof(text), "%llu B", static_cast<unsigned long long>(bytes));
  return text;
}

std::string formatFlops(uint64_t flops) {
  char text[32];
  if (flops >= 1000000000)
    std::snprintf(text, sizeof(text), "%.2f GFLOP", double(flops) * 1e-9);
  else if (flops >= 1000000)
    std::snprintf(text, sizeof(text), "%.2f MFLOP", double(flops) * 1e-6);
  else
    std::snprintf(text, sizeof(text), "%.1f KFLOP", double(flops) * 1e-3);
  return text;
}

// White to red by the share of the run: the hot dispatches stand out.
std::string heatColor(double share) {
  int fade = int(255 - std::clamp(share * 4.0, 0.0, 1.0) * 200);
  char text[16];
  std::snprintf(text, sizeof(text), "#ff%02x%02x", fade, fade);
  return text;
}

} // namespace

std::string dispatchGraphDot(const Module &module, const std::vector<double> *millis) {
  const std::vector<DispatchInfo> &dispatches = module.dispatches();
  double total = 0;
  if (millis)
    total = std::accumulate(millis->begin(), millis->end(), 0.0);
  std::string dot = "digraph " + quote(module.name()) +
                    " {\n"
                    "  rankdir=TB;\n"
                    "  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n"
                    "  edge [fontname=\"Helvetica\", fontsize=8, color=\"#555555\"];\n";
  // (producer node, consumer node) -> what flows: the tensor's type, else its bytes, or
  // nothing between dispatches.
  std::map<std::pair<std::string, std::string>, std::string> edges;
  for (size_t i = 0; i < module.inputs().size(); ++i) {
    const TensorSpec &spec = module.inputs()[i];
    dot += "  in" + std::to_string(i) +
           " [shape=ellipse, style=filled, fillcolor=\"#d8e8f8\", label=" +
           quote("input " + spec.name + "\n" + spec.typeString()) + "];\n";
  }
  bool complete = true;
  for (size_t d = 0; d < dispatches.size(); ++d) {
    const DispatchInfo &dispatch = dispatches[d];
    std::string node = "d" + std::to_string(d);
    std::string label = dispatch.name;
    if (!dispatch.parameters.empty())
      label += "\n" + dispatch.parameters;
    if (!dispatch.source.empty())
      label += "\n" + dispatch.source;
    // The shapes it works on: the views it reads, updates and writes.
    std::vector<std::string> reads, updates, writes;
    for (const BindingInfo &b : dispatch.bindings) {
      if (b.type.empty() || (!b.read && !b.written))
        continue;
      (b.read && b.written ? updates : b.written ? writes : reads).push_back(b.type);
    }
    auto joinTypes = [](const std::vector<std::string> &types) {
      std::string text;
      for (const std::string &t : types)
        text += (text.empty() ? "" : ", ") + t;
      return text;
    };
    if (!reads.empty())
      label += "\nin: " + joinTypes(reads);
    if (!updates.empty())
      label += "\nin/out: " + joinTypes(updates);
    if (!writes.empty())
      label += "\nout: " + joinTypes(writes);
    if (dispatch.flops)
      label += "\n" + formatFlops(dispatch.flops);
    std::string fill = "#f4f4f4";
    if (millis && d < millis->size()) {
      double share = total > 0 ? (*millis)[d] / total : 0;
      char text[64];
      std::snprintf(text, sizeof(text), "\n%.1f%% (%.3f ms)", 100 * share, (*millis)[d]);
      label += text;
      fill = heatColor(share);
    }
    dot += "  " + node + " [style=\"rounded,filled\", fillcolor=\"" + fill +
           "\", label=" + quote(label) + "];\n";
    complete = complete && dispatch.hasDependencies;
    for (uint32_t dep : dispatch.dependsOn)
      edges[{"d" + std::to_string(dep), node}] = "";
    for (const BindingInfo &b : dispatch.bindings) {
      std::string what = b.type.empty() ? formatBytes(b.length) : b.type;
      if (b.kind == BindingKind::Input && b.read)
        edges[{"in" + std::to_string(b.index), node}] = what;
      if (b.kind == BindingKind::Output && b.written)
        edges[{node, "out" + std::to_string(b.index)}] = what;
    }
  }
  for (size_t i = 0; i < module.outputs().size(); ++i) {
    const TensorSpec &spec = module.outputs()[i];
    dot += "  out" + std::to_string(i) +
           " [shape=ellipse, style=filled, fillcolor=\"#dcf0dc\", label=" +
           quote("output " + spec.name + "\n" + spec.typeString()) + "];\n";
  }
  if (!complete)
    dot += "  note [shape=note, label=\"this module does not record which dispatches feed "
           "which (compiled by an older tessera): edges between dispatches are missing\"];\n";
  for (const auto &[ends, what] : edges)
    dot += "  " + ends.first + " -> " + ends.second +
           (what.empty() ? std::string() : " [label=" + quote(what) + "]") + ";\n";
  return dot + "}\n";
}

Error writeDispatchGraph(const std::string &path, const Module &module,
                         const std::vector<double> *millis) {
  std::string dot = dispatchGraphDot(module, millis);
  if (path == "-") {
    std::fwrite(dot.data(), 1, dot.size(), stdout);
    std::fflush(stdout);
    return Error::success();
  }
  FILE *f = std::fopen(path.c_str(), "wb");
  bool ok = f && std::fwrite(dot.data(), 1, dot.size(), f) == dot.size();
  if (f)
    ok = std::fclose(f) == 0 && ok;
  if (!ok)
    return makeError(path, ": cannot write the dispatch graph: ", std::strerror(errno));
  return Error::success();
}

} // namespace tessera::tools
