// The image flags of run and bench: how a PNG/JPEG given as --input becomes the input tensor
// and how an output written as .png becomes pixels. Each flag applies to every image, or with a
// NAME= prefix to that input or output only; later flags override earlier ones.
#ifndef TESSERA_TOOLS_IMAGEFLAGS_H
#define TESSERA_TOOLS_IMAGEFLAGS_H

#include "ArgParsing.h"

#include "tessera/Module.h"
#include "tessera/image/ImageTensor.h"

#include <functional>
#include <string>
#include <vector>

namespace tessera::tools {

class ImageFlags {
public:
  // If `arg` is an image flag, consumes it: returns 1 when it was parsed, 0 when `arg` is not an
  // image flag, -1 after storing a usage message in `problem`.
  int parse(ArgCursor &args, const std::string &arg, std::string &problem);

  // Parses `text`, flags separated by white space (a module's declared preprocessing). Returns
  // an empty string on success, else what is wrong.
  std::string parseText(const std::string &text);

  // Appends the settings of `later`, which then override these (the command line over a
  // module's declaration).
  void append(const ImageFlags &later);

  // The preprocessing for the input or output `name` of `shape`.
  runtime::Expected<image::Preprocess> resolve(const std::string &name,
                                               const runtime::Shape &shape) const;

  // Names given with NAME= that are none of `names` (for a usage error).
  std::vector<std::string> unknownNames(const std::vector<std::string> &names) const;

  // The --help text of the flags.
  static const char *help();

private:
  struct Setting {
    std::string name; // empty: every image
    // Applies the flag; the shape is that of the tensor (presets size their crop from it).
    std::function<runtime::Error(image::Preprocess &, const runtime::Shape &)> apply;
  };
  std::vector<Setting> settings_;
};

// The image flags of a run: those the module declares (its model file's `preprocess`), then
// `commandLine`'s, which override them.
runtime::Expected<ImageFlags> moduleImageFlags(const runtime::Module &module,
                                               const ImageFlags &commandLine);

// True when `path` names a file that starts like a PNG or JPEG image.
bool isImageFile(const std::string &path);
// True when `path` ends in .png (any case): outputs named so are written as images.
bool hasPngExtension(const std::string &path);

} // namespace tessera::tools

#endif // TESSERA_TOOLS_IMAGEFLAGS_H
