#include "tessera/Module.h"

#include "ModuleValidator.h"
#include "tessera/ModuleChecksum.h"
#include "tessera/schema/module_generated.h"

#include <cctype>
#include <cstdio>
#include <cstring>
#include <new>

namespace tessera::runtime {

const char *constantStorageName(ConstantStorage storage) {
  switch (storage) {
  case ConstantStorage::Embedded:
    return "embedded";
  case ConstantStorage::SeededUniform:
    return "seeded-uniform";
  }
  return "?";
}

const char *executableFormatName(ExecutableFormat format) {
  switch (format) {
  case ExecutableFormat::ElfSharedObject:
    return "elf-shared-object";
  case ExecutableFormat::Ptx:
    return "ptx";
  }
  return "?";
}

const char *gemmComputeName(GemmCompute c) {
  switch (c) {
  case GemmCompute::F32:
    return "f32";
  case GemmCompute::Tf32:
    return "tf32";
  case GemmCompute::Bf16:
    return "bf16";
  }
  return "?";
}

const char *bindingKindName(BindingKind kind) {
  switch (kind) {
  case BindingKind::Input:
    return "input";
  case BindingKind::Output:
    return "output";
  case BindingKind::Constant:
    return "constant";
  case BindingKind::Arena:
    return "arena";
  }
  return "?";
}

std::string dispatchOrigin(const DispatchInfo &dispatch) {
  if (dispatch.parameters.empty())
    return dispatch.source;
  if (dispatch.source.empty())
    return dispatch.parameters;
  return dispatch.parameters + " at " + dispatch.source;
}

namespace {

// The 4 identifier bytes, printable, for "wrong file" messages.
std::string describeIdentifier(const uint8_t *data) {
  std::string text;
  for (int i = 0; i < 4; ++i) {
    unsigned char c = data[4 + i];
    if (std::isprint(c) && c != '\\' && c != '"') {
      text += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", c);
      text += hex;
    }
  }
  return text;
}

// The structural checks, in the order that gives the most useful message first.
Expected<ModuleInfo> checkBuffer(const uint8_t *data, size_t size) {
  if (size == 0)
    return makeError("file is empty, expected a Tessera module");
  // Root offset + identifier + the smallest possible root table.
  if (size < 16)
    return makeError("too small to be a Tessera module (", size, " bytes)");
  if (!schema::ModuleBufferHasIdentifier(data))
    return makeError("not a Tessera module (file identifier \"", describeIdentifier(data),
                     "\", expected \"", schema::ModuleIdentifier(), "\")");
  if (size >= FLATBUFFERS_MAX_BUFFER_SIZE)
    return makeError("module is ", size, " bytes; the format is limited to 2 GiB");
  flatbuffers::Verifier::Options options;
  // The schema nests only a few levels; one million tables bounds verification time even for
  // a hostile file that makes many offsets share one table.
  options.max_depth = 32;
  options.max_tables = 1000000;
  flatbuffers::Verifier verifier(data, size, options);
  if (!schema::VerifyModuleBuffer(verifier))
    return makeError("malformed module: FlatBuffers verification failed (the file is truncated "
                     "or corrupt)");
  if (Error err = checkModuleChecksum(data, size))
    return err;
  return validateModule(data, size);
}

} // namespace

Expected<std::shared_ptr<Module>> Module::finishLoad(std::shared_ptr<Module> module) {
  try {
    Expected<ModuleInfo> info = checkBuffer(module->data_, module->size_);
    if (!info)
      return info.takeError().withContext(module->sourceName_);
    module->info_ = info.takeValue();
  } catch (const std::bad_alloc &) {
    // Only reachable with absurd element counts in a hostile file; still not a crash.
    return makeError(module->sourceName_, ": out of memory while reading the module");
  }
  return module;
}

Expected<std::shared_ptr<Module>> Module::loadFile(const std::string &path) {
  Expected<std::unique_ptr<MappedFile>> file = MappedFile::open(path);
  if (!file)
    return file.takeError();
  std::shared_ptr<Module> module(new Module());
  module->sourceName_ = path;
  module->mapping_ = file.takeValue();
  module->data_ = module->mapping_->data();
  module->size_ = module->mapping_->size();
  return finishLoad(std::move(module));
}

Expected<std::shared_ptr<Module>> Module::loadBytes(const void *data, size_t size,
                                                    const std::string &sourceName) {
  if (!data && size != 0)
    return makeError(sourceName, ": null data");
  std::shared_ptr<Module> module(new Module());
  module->sourceName_ = sourceName;
  // Copy into aligned memory: the 64-byte alignment of embedded constants is relative to the
  // buffer start, and the caller's pointer may have any alignment.
  Expected<AlignedBuffer> copy = AlignedBuffer::allocate(size);
  if (!copy)
    return copy.takeError().withContext(sourceName);
  module->copy_ = copy.takeValue();
  if (size)
    std::memcpy(module->copy_.data(), data, size);
  module->data_ = module->copy_.data();
  module->size_ = size;
  return finishLoad(std::move(module));
}

uint64_t Module::bufferBytes(BindingKind kind, uint32_t index) const {
  switch (kind) {
  case BindingKind::Input:
    return info_.inputs[index].byteSize;
  case BindingKind::Output:
    return info_.outputs[index].byteSize;
  case BindingKind::Constant:
    return info_.constants[index].spec.byteSize;
  case BindingKind::Arena:
    return info_.arenaSize;
  }
  return 0;
}

int Module::findInput(const std::string &name) const {
  for (size_t i = 0; i < info_.inputs.size(); ++i)
    if (info_.inputs[i].name == name)
      return static_cast<int>(i);
  return -1;
}

int Module::findOutput(const std::string &name) const {
  for (size_t i = 0; i < info_.outputs.size(); ++i)
    if (info_.outputs[i].name == name)
      return static_cast<int>(i);
  return -1;
}

} // namespace tessera::runtime
