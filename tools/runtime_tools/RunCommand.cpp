// `run`: loads a module, binds .npy or image inputs by name, runs it and writes (.npy, .png),
// summarises or ranks (--topk) its outputs.
#include "ArgParsing.h"
#include "AttentionMaps.h"
#include "Commands.h"
#include "Detections.h"
#include "ImageFlags.h"
#include "InputBinding.h"
#include "TensorSummary.h"
#include "TopK.h"

#include "tessera/Module.h"
#include "tessera/Npy.h"
#include "tessera/Session.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace tessera::tools {
using namespace tessera::runtime;

namespace {

void printUsage(FILE *out, const char *progName) {
  std::fprintf(
      out,
      "usage: %s MODULE.tsm --input NAME=FILE [--input ...] [options]\n"
      "\n"
      "Runs a compiled Tessera module on the CPU or a CUDA GPU.\n"
      "\n"
      "options:\n"
      "  --input NAME=FILE        value of input NAME, a .npy or (f32 inputs) a PNG or\n"
      "                           JPEG image; every input exactly once\n"
      "  --output NAME=FILE       write output NAME to FILE: .npy, or .png for an image\n"
      "                           output; outputs not named are summarised on stdout\n"
      "  --topk K                 print the K best classes of every classifier output\n"
      "                           (f32 [classes] or [batch, classes]) with softmax\n"
      "  --labels FILE            class names for --topk or --detections, one per line\n"
      "  --detections FILE.png    for a detector with outputs scores [B, Q], labels\n"
      "                           [B, Q] and boxes [B, Q, 4] (cx, cy, w, h in 0..1, as\n"
      "                           DETR's PostProcess): print the detections scoring at\n"
      "                           least --threshold as JSON and draw them as labelled\n"
      "                           boxes over the image input as the model saw it\n"
      "  --threshold T            score a detection needs (default 0.5)\n"
      "  --attention-maps DIR     draw the attention of a module compiled with\n"
      "                           --expose-attention as heat maps over the image input\n"
      "                           as the model saw it, one PNG per layer and head (ViT's\n"
      "                           class token) or per query (DETR's decoder; with\n"
      "                           --detections only the detected ones), batch row 0\n"
      "  --device cpu|cuda[:N]    where to run (default cpu); cuda needs the module's\n"
      "                           PTX (--target cuda) and an NVIDIA driver\n"
      "  --cuda-graph             on cuda, run the launches as one CUDA graph (captured\n"
      "                           on the first run, replayed after)\n"
      "  --max-memory SIZE        the most memory the module may ask for (arena, generated\n"
      "                           constants, inputs, outputs; default: half of this\n"
      "                           machine's memory), e.g. 8G\n"
      "  --threads N              threads running workgroups, the caller included\n"
      "                           (default: all cores; 1 runs inline)\n"
      "  --iterations N           run N times and report the time per run (default 1)\n"
      "  -h, --help               show this help\n"
      "\n%s",
      progName, ImageFlags::help());
  if (std::strcmp(progName, "tessera-run") == 0)
    std::fprintf(out,
                 "\n"
                 "also: tessera-run bench MODULE.tsm [options]   (see tessera-run bench --help)\n"
                 "      tessera-run dump MODULE.tsm              (see tessera-run dump --help)\n");
}

struct Options {
  std::string modulePath;
  std::vector<std::pair<std::string, std::string>> inputs; // (name, path) in flag order
  std::vector<std::pair<std::string, std::string>> outputs;
  unsigned threads = 0;
  SessionOptions session;
  int64_t iterations = 1;
  ImageFlags images;
  int64_t topk = 0;
  std::string labelsPath;
  std::string detectionsPath;
  std::string attentionDir;
  float threshold = 0.5f;
  bool thresholdGiven = false;
};

// Returns -1 when parsing succeeded, else the exit code to return (0 after --help).
int parseOptions(int argc, char **argv, const char *progName, Options &options) {
  ArgCursor args(argc, argv);
  while (!args.done()) {
    std::string arg = args.next();
    std::string value;
    bool missing = false;
    if (arg == "-h" || arg == "--help") {
      printUsage(stdout, progName);
      return kExitSuccess;
    }
    if (args.matchValue(arg, "--input", value, missing) ||
        args.matchValue(arg, "--output", value, missing)) {
      bool isInput = arg.rfind("--input", 0) == 0;
      const char *flag = isInput ? "--input" : "--output";
      if (missing)
        return usageError(progName, concat(flag, " needs a value NAME=FILE.npy"));
      std::pair<std::string, std::string> binding;
      if (!splitBinding(value, binding))
        return usageError(progName, concat(flag, " expects NAME=FILE.npy, got '", value, "'"));
      (isInput ? options.inputs : options.outputs).push_back(binding);
    } else if (args.matchValue(arg, "--device", value, missing)) {
      if (missing || !parseDevice(value, options.session))
        return usageError(progName, "--device expects cpu, cuda or cuda:N");
    } else if (arg == "--cuda-graph") {
      options.session.cudaGraph = true;
    } else if (args.matchValue(arg, "--max-memory", value, missing)) {
      if (missing || !parseMaxMemory(value, options.session))
        return usageError(progName, "--max-memory expects a size such as 8G, 512M or a number "
                                    "of bytes");
    } else if (args.matchValue(arg, "--threads", value, missing)) {
      std::optional<int64_t> n = missing ? std::nullopt : parseInteger(value, 1, 4096);
      if (!n)
        return usageError(progName, "--threads expects an integer between 1 and 4096");
      options.threads = static_cast<unsigned>(*n);
    } else if (args.matchValue(arg, "--iterations", value, missing)) {
      std::optional<int64_t> n = missing ? std::nullopt : parseInteger(value, 1, 1000000000);
      if (!n)
        return usageError(progName, "--iterations expects a positive integer");
      options.iterations = *n;
    } else if (args.matchValue(arg, "--topk", value, missing)) {
      std::optional<int64_t> n = missing ? std::nullopt : parseInteger(value, 1, 1000000);
      if (!n)
        return usageError(progName, "--topk expects a positive integer");
      options.topk = *n;
    } else if (args.matchValue(arg, "--detections", value, missing)) {
      if (missing || !hasPngExtension(value))
        return usageError(progName, "--detections needs a FILE.png to draw on");
      options.detectionsPath = value;
    } else if (args.matchValue(arg, "--attention-maps", value, missing)) {
      if (missing || value.empty())
        return usageError(progName, "--attention-maps needs a directory to write to");
      options.attentionDir = value;
    } else if (args.matchValue(arg, "--threshold", value, missing)) {
      char *end = nullptr;
      float t = missing ? NAN : std::strtof(value.c_str(), &end);
      if (missing || value.empty() || *end || !(t >= 0.0f && t <= 1.0f))
        return usageError(progName, "--threshold expects a number between 0 and 1");
      options.threshold = t;
      options.thresholdGiven = true;
    } else if (args.matchValue(arg, "--labels", value, missing)) {
      if (missing || value.empty())
        return usageError(progName, "--labels needs a file");
      options.labelsPath = value;
    } else if (int parsed = options.images.parse(args, arg, value); parsed != 0) {
      if (parsed < 0)
        return usageError(progName, value);
    } else if (int code = moduleArgument(progName, arg, options.modulePath); code >= 0) {
      return code;
    }
  }
  if (options.modulePath.empty())
    return usageError(progName, "no module given");
  if (!options.labelsPath.empty() && options.topk == 0 && options.detectionsPath.empty())
    return usageError(progName, "--labels needs --topk or --detections");
  if (options.thresholdGiven && options.detectionsPath.empty())
    return usageError(progName, "--threshold needs --detections");
  return -1;
}

Error writeImageOutput(const std::string &name, const Tensor &tensor, const ImageFlags &images,
                       const std::string &path) {
  std::string what = concat("output '", name, "'");
  if (tensor.dtype() != DType::F32)
    return makeError(path, ": ", what, " is ", formatTensorType(tensor.dtype(), tensor.shape()),
                     "; only an f32 output can be written as an image");
  Expected<image::Preprocess> preprocess = images.resolve(name, tensor.shape());
  if (!preprocess)
    return preprocess.error().withContext(path);
  Expected<image::Image> picture =
      image::tensorToImage(tensor.dataAs<float>(), tensor.shape(), *preprocess, what);
  if (!picture)
    return picture.error().withContext(path);
  return image::writePng(path, *picture);
}

} // namespace

int runCommand(int argc, char **argv, const char *progName) {
  Options options;
  if (int code = parseOptions(argc, argv, progName, options); code >= 0)
    return code;

  Expected<std::shared_ptr<Module>> module = Module::loadFile(options.modulePath);
  if (!module)
    return failure(progName, module.error().message());
  const std::vector<TensorSpec> &inputSpecs = (*module)->inputs();
  const std::vector<TensorSpec> &outputSpecs = (*module)->outputs();
  Expected<ImageFlags> images = moduleImageFlags(**module, options.images);
  if (!images)
    return failure(progName, images.error().message());
  options.images = images.takeValue();

  // Bind --input flags to module inputs by name: each exactly once.
  std::vector<std::string> inputPaths;
  std::string problem =
      bindInputPaths(**module, options.inputs, /*allowMissing=*/false, inputPaths);
  if (!problem.empty())
    return usageError(progName, problem);
  std::map<size_t, std::string> outputPaths;
  for (const auto &[name, path] : options.outputs) {
    int index = (*module)->findOutput(name);
    if (index < 0)
      return usageError(progName,
                        concat("unknown output '", name, "'; ", listSpecs("output", outputSpecs)));
    if (!outputPaths.emplace(index, path).second)
      return usageError(progName, concat("output '", name, "' given more than once"));
    // Writing an output over the module or an input would destroy what the run reads.
    if (sameExistingFile(path, options.modulePath))
      return usageError(
          progName, concat("output '", name, "' would overwrite the module ", options.modulePath));
    for (const auto &[inputName, inputPath] : options.inputs)
      if (sameExistingFile(path, inputPath))
        return usageError(progName, concat("output '", name, "' would overwrite input '", inputName,
                                           "' (", inputPath, ")"));
  }
  for (auto a = outputPaths.begin(); a != outputPaths.end(); ++a)
    for (auto b = std::next(a); b != outputPaths.end(); ++b)
      if (a->second == b->second || sameExistingFile(a->second, b->second))
        return usageError(progName,
                          concat("outputs '", outputSpecs[a->first].name, "' and '",
                                 outputSpecs[b->first].name, "' name the same file ", a->second));

  std::vector<std::string> tensorNames;
  for (const std::vector<TensorSpec> *specs : {&inputSpecs, &outputSpecs})
    for (const TensorSpec &spec : *specs)
      tensorNames.push_back(spec.name);
  for (const std::string &name : options.images.unknownNames(tensorNames))
    return usageError(
        progName, concat("an image flag names '", name, "', which is no input or output; ",
                         listSpecs("input", inputSpecs), "\n", listSpecs("output", outputSpecs)));
  // The picture detections are drawn on: the first image input, resized and cropped as the
  // model saw it (the boxes are relative to that).
  std::string pictureInput, picturePath;
  if (!options.detectionsPath.empty()) {
    std::string problem = checkDetectionOutputs(outputSpecs);
    if (!problem.empty())
      return usageError(progName, problem + "; " + listSpecs("output", outputSpecs));
  }
  if (!options.attentionDir.empty() && (*module)->attentionMaps().empty())
    return usageError(progName, concat(options.modulePath,
                                       " returns no attention "
                                       "probabilities; compile it with --expose-attention"));
  if (!options.detectionsPath.empty() || !options.attentionDir.empty()) {
    for (size_t i = 0; i < inputSpecs.size() && picturePath.empty(); ++i)
      if (isImageFile(inputPaths[i])) {
        pictureInput = inputSpecs[i].name;
        picturePath = inputPaths[i];
      }
    if (picturePath.empty())
      return usageError(progName,
                        concat(options.detectionsPath.empty() ? "--attention-maps" : "--detections",
                               " draws on an image input; give one as "
                               "--input NAME=FILE.png or .jpg"));
  }
  std::vector<std::string> labels;
  if (!options.labelsPath.empty()) {
    Expected<std::vector<std::string>> read = readLabels(options.labelsPath);
    if (!read)
      return failure(progName, read.error().message());
    labels = read.takeValue();
  }

  std::vector<Tensor> inputs;
  std::vector<TensorRef> inputRefs;
  for (size_t i = 0; i < inputSpecs.size(); ++i) {
    Expected<Tensor> tensor = readInput(inputSpecs[i], inputPaths[i], &options.images);
    if (!tensor)
      return failure(progName, tensor.error().message());
    inputs.push_back(tensor.takeValue());
  }
  for (const Tensor &tensor : inputs)
    inputRefs.push_back(tensor.ref());

  SessionOptions sessionOptions = options.session;
  sessionOptions.threads = options.threads;
  Expected<std::unique_ptr<Session>> session = Session::create(*module, sessionOptions);
  if (!session)
    return failure(progName, session.error().message());

  std::vector<Tensor> outputs;
  std::vector<double> millis;
  for (int64_t iteration = 0; iteration < options.iterations; ++iteration) {
    auto start = std::chrono::steady_clock::now();
    Expected<std::vector<Tensor>> result = (*session)->run(inputRefs);
    auto stop = std::chrono::steady_clock::now();
    if (!result)
      return failure(progName, result.error().message());
    millis.push_back(std::chrono::duration<double, std::milli>(stop - start).count());
    outputs = result.takeValue();
  }

  std::vector<bool> isAttentionMap(outputs.size(), false);
  for (const AttentionMapInfo &map : (*module)->attentionMaps())
    isAttentionMap[map.output] = true;
  bool rankedAny = false;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const std::string &name = outputSpecs[i].name;
    auto path = outputPaths.find(i);
    if (path == outputPaths.end()) {
      // Pictures say more than a summary of each layer's probabilities.
      if (!options.attentionDir.empty() && isAttentionMap[i])
        continue;
      std::printf("%s\n", summarizeTensor(name, outputs[i]).c_str());
    } else if (hasPngExtension(path->second)) {
      if (Error err = writeImageOutput(name, outputs[i], options.images, path->second))
        return failure(progName, err.message());
    } else if (Error err = writeNpyFile(path->second, outputs[i])) {
      return failure(progName, err.message());
    }
    if (options.topk > 0 && isClassScores(outputs[i])) {
      int64_t classes = outputs[i].shape().back();
      if (!labels.empty() && int64_t(labels.size()) != classes)
        return failure(progName,
                       concat(options.labelsPath, " has ", labels.size(), " labels but output '",
                              name, "' has ", classes, " classes"));
      std::printf("%s", formatTopK(name, outputs[i], options.topk, labels).c_str());
      rankedAny = true;
    }
  }
  if (!picturePath.empty()) {
    Expected<image::Image> picture = image::loadImage(picturePath);
    if (!picture)
      return failure(progName, picture.error().message());
    const TensorSpec &spec = inputSpecs[size_t((*module)->findInput(pictureInput))];
    Expected<image::Preprocess> preprocess = options.images.resolve(spec.name, spec.shape);
    if (!preprocess)
      return failure(progName, preprocess.error().withContext(picturePath).message());
    Expected<image::Image> seen = image::applyGeometry(*picture, *preprocess);
    if (!seen)
      return failure(progName, seen.error().withContext(picturePath).message());
    std::vector<int64_t> detectedQueries;
    if (!options.detectionsPath.empty()) {
      std::vector<Detection> detections =
          collectDetections(outputSpecs, outputs, options.threshold, seen->width, seen->height);
      std::printf("%s", detectionsJson(detections, labels).c_str());
      for (const Detection &d : detections)
        if (d.batch == 0)
          detectedQueries.push_back(d.query);
      image::Image boxes = *seen;
      drawDetections(boxes, detections, labels);
      if (Error err = image::writePng(options.detectionsPath, boxes))
        return failure(progName, err.message());
    }
    if (!options.attentionDir.empty()) {
      Expected<std::vector<std::string>> written =
          writeAttentionMaps(options.attentionDir, **module, outputs, *seen,
                             options.detectionsPath.empty() ? nullptr : &detectedQueries);
      if (!written)
        return failure(progName, written.error().message());
      for (const std::string &line : *written)
        std::printf("attention map: %s\n", line.c_str());
    }
  }
  if (options.topk > 0 && !rankedAny)
    return failure(progName, concat("--topk: no output holds class scores (f32 [classes] or "
                                    "[batch, classes]); ",
                                    listSpecs("output", outputSpecs)));
  if (options.iterations > 1) {
    double total = 0;
    for (double ms : millis)
      total += ms;
    std::printf("timing: %lld iterations on %u threads: mean %.3f ms, min %.3f ms, max %.3f ms\n",
                static_cast<long long>(options.iterations), (*session)->numThreads(),
                total / millis.size(), *std::min_element(millis.begin(), millis.end()),
                *std::max_element(millis.begin(), millis.end()));
  }
  std::fflush(stdout);
  return kExitSuccess;
}

} // namespace tessera::tools
