#include "InputBinding.h"

#include "ImageFlags.h"

#include "tessera/Npy.h"
#include "tessera/SeededFill.h"

namespace tessera::tools {
using namespace tessera::runtime;

bool splitBinding(const std::string &text, std::pair<std::string, std::string> &out) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    return false;
  out = {text.substr(0, eq), text.substr(eq + 1)};
  return true;
}

std::string listSpecs(const char *what, const std::vector<TensorSpec> &specs) {
  std::string text = concat("expected ", what, "s:");
  if (specs.empty())
    text += " (none)";
  for (const TensorSpec &spec : specs)
    text += "\n  " + spec.name + ": " + spec.typeString();
  return text;
}

std::string bindInputPaths(const Module &module,
                           const std::vector<std::pair<std::string, std::string>> &flags,
                           bool allowMissing, std::vector<std::string> &paths) {
  const std::vector<TensorSpec> &specs = module.inputs();
  paths.assign(specs.size(), std::string());
  for (const auto &[name, path] : flags) {
    int index = module.findInput(name);
    if (index < 0)
      return concat("unknown input '", name, "'; ", listSpecs("input", specs));
    if (!paths[index].empty())
      return concat("input '", name, "' given more than once");
    paths[index] = path;
  }
  if (allowMissing)
    return {};
  std::string missing;
  for (size_t i = 0; i < specs.size(); ++i)
    if (paths[i].empty())
      missing += (missing.empty() ? "'" : ", '") + specs[i].name + "'";
  if (!missing.empty())
    return concat("missing input ", missing, "; ", listSpecs("input", specs));
  return {};
}

Expected<Tensor> readInput(const TensorSpec &spec, const std::string &path,
                           const ImageFlags *imageFlags) {
  if (isImageFile(path)) {
    std::string what = concat("input '", spec.name, "'");
    if (spec.dtype != DType::F32)
      return makeError(path, ": ", what, " is ", spec.typeString(),
                       "; an image can only fill an f32 input");
    Expected<image::Image> picture = image::loadImage(path);
    if (!picture)
      return picture.takeError();
    Expected<image::Preprocess> preprocess =
        imageFlags ? imageFlags->resolve(spec.name, spec.shape) : image::Preprocess();
    if (!preprocess)
      return preprocess.error().withContext(path);
    Expected<Tensor> tensor = image::imageToTensor(*picture, *preprocess, spec.shape, what);
    if (!tensor)
      return tensor.error().withContext(path);
    return tensor;
  }
  Expected<Tensor> tensor = readNpyFile(path);
  if (!tensor)
    return tensor.takeError();
  if (tensor->dtype() != spec.dtype || tensor->shape() != spec.shape)
    return makeError(path, ": input '", spec.name, "': expected ", spec.typeString(), ", got ",
                     formatTensorType(tensor->dtype(), tensor->shape()));
  return tensor;
}

Expected<Tensor> randomInput(const TensorSpec &spec, uint64_t seed) {
  Expected<Tensor> tensor = Tensor::zeros(spec.dtype, spec.shape);
  if (!tensor)
    return tensor.takeError();
  if (spec.dtype == DType::F32)
    fillSeededUniformF32(tensor->dataAs<float>(), tensor->numElements(), seed, 0.0f, 1.0f);
  return tensor;
}

} // namespace tessera::tools
