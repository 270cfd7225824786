#include "ImageFlags.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace tessera::tools {
using namespace tessera::runtime;
using image::Preprocess;

namespace {

// NAME=VALUE or VALUE; a value never contains '=' so the split is unambiguous.
void splitScope(const std::string &text, std::string &name, std::string &value) {
  size_t eq = text.find('=');
  if (eq == std::string::npos) {
    name.clear();
    value = text;
  } else {
    name = text.substr(0, eq);
    value = text.substr(eq + 1);
  }
}

std::vector<std::string> splitCommas(const std::string &text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    parts.push_back(text.substr(start, comma - start));
    if (comma == std::string::npos)
      return parts;
    start = comma + 1;
  }
}

bool parseFloats(const std::string &text, std::vector<float> &out) {
  out.clear();
  for (const std::string &part : splitCommas(text)) {
    char *end = nullptr;
    if (part.empty())
      return false;
    float value = std::strtof(part.c_str(), &end);
    if (*end != '\0' || !std::isfinite(value))
      return false;
    out.push_back(value);
  }
  return true;
}

// A preset as timm's data config: normalization, interpolation and crop_pct, with the crop
// the tensor's size and the resize floor(size / crop_pct).
struct Preset {
  const char *name;
  const char *description;
  image::Interpolation interpolation;
  double cropFraction;
  float mean[3];
  float std[3];
};

const Preset kPresets[] = {
    {"imagenet",
     "torchvision/timm ImageNet: bilinear, crop 0.875, mean/std of ImageNet",
     image::Interpolation::Bilinear,
     0.875,
     {0.485f, 0.456f, 0.406f},
     {0.229f, 0.224f, 0.225f}},
    {"inception",
     "timm's ViT: bicubic, crop 0.9, mean 0.5, std 0.5",
     image::Interpolation::Bicubic,
     0.9,
     {0.5f, 0.5f, 0.5f},
     {0.5f, 0.5f, 0.5f}},
};

} // namespace

int ImageFlags::parse(ArgCursor &args, const std::string &arg, std::string &problem) {
  static const char *const kFlags[] = {"--resize",      "--center-crop", "--interpolation",
                                       "--pixel-range", "--mean",        "--std",
                                       "--layout",      "--preset"};
  std::string flag, text;
  bool missing = false, matched = false;
  for (const char *candidate : kFlags)
    if (args.matchValue(arg, candidate, text, missing)) {
      flag = candidate;
      matched = true;
      break;
    }
  if (!matched)
    return 0;
  if (missing) {
    problem = concat(flag, " needs a value (see --help)");
    return -1;
  }
  Setting setting;
  std::string value;
  splitScope(text, setting.name, value);
  auto bad = [&](const char *expected) {
    problem = concat(flag, " expects ", expected, ", got '", text, "'");
    return -1;
  };

  if (flag == "--resize") {
    std::vector<image::ResizeStep> steps;
    for (const std::string &part : splitCommas(value)) {
      image::ResizeStep step;
      if (!image::parseResizeStep(part, step))
        return bad("[NAME=]SIZE[,SIZE...] with SIZE the shorter side (256) or WxH (320x240)");
      steps.push_back(step);
    }
    setting.apply = [steps](Preprocess &p, const Shape &) {
      p.resize = steps;
      return Error::success();
    };
  } else if (flag == "--center-crop") {
    image::ResizeStep step;
    if (!image::parseResizeStep(value, step))
      return bad("[NAME=]N or [NAME=]WxH");
    int64_t width = step.shorter ? step.shorter : step.width;
    int64_t height = step.shorter ? step.shorter : step.height;
    setting.apply = [width, height](Preprocess &p, const Shape &) {
      p.cropWidth = width;
      p.cropHeight = height;
      return Error::success();
    };
  } else if (flag == "--interpolation") {
    image::Interpolation interpolation;
    if (!image::parseInterpolation(value, interpolation))
      return bad("[NAME=]nearest|bilinear|bicubic");
    setting.apply = [interpolation](Preprocess &p, const Shape &) {
      p.interpolation = interpolation;
      return Error::success();
    };
  } else if (flag == "--pixel-range") {
    image::PixelRange range;
    if (!image::parsePixelRange(value, range))
      return bad("[NAME=]unit|raw|signed");
    setting.apply = [range](Preprocess &p, const Shape &) {
      p.range = range;
      return Error::success();
    };
  } else if (flag == "--mean" || flag == "--std") {
    std::vector<float> values;
    if (!parseFloats(value, values) || (values.size() != 1 && values.size() != 3))
      return bad("[NAME=]V or [NAME=]R,G,B (finite numbers)");
    if (flag == "--std" &&
        std::any_of(values.begin(), values.end(), [](float v) { return v == 0.0f; }))
      return bad("non-zero values");
    bool isMean = flag == "--mean";
    setting.apply = [values, isMean](Preprocess &p, const Shape &) {
      (isMean ? p.mean : p.std) = values;
      return Error::success();
    };
  } else if (flag == "--layout") {
    image::Layout layout;
    if (!image::parseLayout(value, layout))
      return bad("[NAME=]auto|nchw|nhwc");
    setting.apply = [layout](Preprocess &p, const Shape &) {
      p.layout = layout;
      return Error::success();
    };
  } else { // --preset
    const Preset *preset = nullptr;
    for (const Preset &candidate : kPresets)
      if (value == candidate.name)
        preset = &candidate;
    if (!preset)
      return bad("[NAME=]imagenet|inception");
    setting.apply = [preset](Preprocess &p, const Shape &shape) {
      Expected<image::ImageShape> dims = image::imageShapeOf(shape, p.layout, "the tensor");
      if (!dims)
        return dims.takeError();
      int64_t size = std::min(dims->width, dims->height);
      image::ResizeStep step;
      step.shorter = int64_t(std::floor(size / preset->cropFraction));
      p.resize = {step};
      p.cropWidth = dims->width;
      p.cropHeight = dims->height;
      p.interpolation = preset->interpolation;
      p.range = image::PixelRange::Unit;
      p.mean.assign(preset->mean, preset->mean + 3);
      p.std.assign(preset->std, preset->std + 3);
      return Error::success();
    };
  }
  settings_.push_back(std::move(setting));
  return 1;
}

Expected<Preprocess> ImageFlags::resolve(const std::string &name, const Shape &shape) const {
  Preprocess preprocess;
  for (const Setting &setting : settings_)
    if (setting.name.empty() || setting.name == name)
      if (Error err = setting.apply(preprocess, shape))
        return err;
  // One mean/std value stands for every channel.
  Expected<image::ImageShape> dims =
      image::imageShapeOf(shape, preprocess.layout, "'" + name + "'");
  if (dims && dims->channels == 3)
    for (std::vector<float> *values : {&preprocess.mean, &preprocess.std})
      if (values->size() == 1)
        values->assign(3, values->front());
  return preprocess;
}

std::vector<std::string> ImageFlags::unknownNames(const std::vector<std::string> &names) const {
  std::vector<std::string> unknown;
  for (const Setting &setting : settings_)
    if (!setting.name.empty() &&
        std::find(names.begin(), names.end(), setting.name) == names.end() &&
        std::find(unknown.begin(), unknown.end(), setting.name) == unknown.end())
      unknown.push_back(setting.name);
  return unknown;
}

const char *ImageFlags::help() {
  return "image inputs and outputs (PNG or JPEG in, PNG out; each flag applies to every image,\n"
         "or with NAME= to that input or output only; later flags win):\n"
         "  --resize [NAME=]S[,S...]  resize steps in order: S = the shorter side (256, the\n"
         "                           aspect kept, as torchvision) or exactly WxH (320x240)\n"
         "  --center-crop [NAME=]N|WxH  crop the center after resizing\n"
         "  --interpolation [NAME=]nearest|bilinear|bicubic   (default bilinear; Pillow's)\n"
         "  --pixel-range [NAME=]unit|raw|signed   pixel p as p/255 (default), p, or p/127.5-1\n"
         "  --mean [NAME=]R,G,B      subtract after the range (one value: every channel)\n"
         "  --std [NAME=]R,G,B       then divide\n"
         "  --layout [NAME=]auto|nchw|nhwc   where the channels are (auto: the dimension of\n"
         "                           size 1 or 3, when only one is)\n"
         "  --preset [NAME=]imagenet|inception   timm's data configs: resize to\n"
         "                           floor(size / crop_pct), crop to the input's size, normalize\n"
         "                           (imagenet: bilinear, 0.875, ImageNet mean/std;\n"
         "                           inception: bicubic, 0.9, mean 0.5, std 0.5)\n"
         "  an output written to FILE.png is de-normalized (v * std + mean), its range undone,\n"
         "  clamped to 0..255 and rounded half to even\n";
}

bool isImageFile(const std::string &path) {
  std::FILE *file = std::fopen(path.c_str(), "rb");
  if (!file)
    return false;
  uint8_t head[8] = {0};
  size_t n = std::fread(head, 1, sizeof(head), file);
  std::fclose(file);
  return image::looksLikeImage(head, n);
}

bool hasPngExtension(const std::string &path) {
  if (path.size() < 4)
    return false;
  std::string tail = path.substr(path.size() - 4);
  std::transform(tail.begin(), tail.end(), tail.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return tail == ".png";
}

std::string ImageFlags::parseText(const std::string &text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text + " ") {
    if (c == ' ' || c == '\t' || c == '\n') {
      if (!word.empty())
        words.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  std::vector<char *> argv;
  for (std::string &w : words)
    argv.push_back(w.data());
  ArgCursor args(int(argv.size()), argv.data());
  while (!args.done()) {
    std::string arg = args.next(), problem;
    int parsed = parse(args, arg, problem);
    if (parsed < 0)
      return problem;
    if (parsed == 0)
      return "'" + arg + "' is no image flag (see tessera run --help)";
  }
  return "";
}

void ImageFlags::append(const ImageFlags &later) {
  settings_.insert(settings_.end(), later.settings_.begin(), later.settings_.end());
}

runtime::Expected<ImageFlags> moduleImageFlags(const runtime::Module &module,
                                               const ImageFlags &commandLine) {
  ImageFlags flags;
  const std::string &declared = module.info().imageFlags;
  if (!declared.empty()) {
    std::string problem = flags.parseText(declared);
    if (!problem.empty())
      return runtime::makeError(module.sourceName(), ": its declared image flags '", declared,
                                "': ", problem);
  }
  flags.append(commandLine);
  return flags;
}

} // namespace tessera::tools
