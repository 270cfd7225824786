// Binding `--input NAME=FILE` flags (.npy or an image) to a module's inputs, shared by run and
// bench.
#ifndef TESSERA_TOOLS_INPUTBINDING_H
#define TESSERA_TOOLS_INPUTBINDING_H

#include "tessera/Module.h"
#include "tessera/Tensor.h"

#include <string>
#include <utility>
#include <vector>

namespace tessera::tools {

// Splits NAME=PATH; both parts must be non-empty.
bool splitBinding(const std::string &text, std::pair<std::string, std::string> &out);

// "expected inputs:\n  x: f32[2, 16]" for messages.
std::string listSpecs(const char *what, const std::vector<runtime::TensorSpec> &specs);

// Matches (name, path) flags to the module's inputs by name: paths[i] is input i's file, or
// empty when no flag names it. Returns a usage message for unknown or repeated names, and
// for missing ones unless `allowMissing`.
std::string bindInputPaths(const runtime::Module &module,
                           const std::vector<std::pair<std::string, std::string>> &flags,
                           bool allowMissing, std::vector<std::string> &paths);

class ImageFlags;

// Reads `path` as the value of input `spec`: a .npy (dtype and shape must match) or, for an f32
// input, a PNG/JPEG image preprocessed as `imageFlags` say (defaults when null).
runtime::Expected<runtime::Tensor> readInput(const runtime::TensorSpec &spec,
                                             const std::string &path,
                                             const ImageFlags *imageFlags = nullptr);

// A deterministic pseudo-random value for `spec`: f32 uniform in [0, 1), integers 0.
runtime::Expected<runtime::Tensor> randomInput(const runtime::TensorSpec &spec, uint64_t seed);

} // namespace tessera::tools

#endif // TESSERA_TOOLS_INPUTBINDING_H
