#include "ModuleWriter.h"

#include "tessera/ModuleChecksum.h"
#include "tessera/Packing.h"
#include "tessera/Safetensors.h"
#include "tessera/SeededFill.h"
#include "tessera/schema/module_generated.h"

#include "mlir/IR/BuiltinTypes.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace fbs = tessera::schema;

namespace tessera::codegen {

namespace {

constexpr uint32_t kFormatVersion = 1;

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::Expected<fbs::DType> dtypeOf(mlir::Type t) {
  if (t.isF32())
    return fbs::DType::F32;
  if (t.isInteger(32))
    return fbs::DType::I32;
  if (t.isInteger(64))
    return fbs::DType::I64;
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return makeError("element type " + s + " cannot be stored in a module yet");
}

std::string typeString(const TensorInfo &t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t.elementType << "[";
  for (size_t i = 0; i < t.shape.size(); ++i)
    os << (i ? ", " : "") << t.shape[i];
  os << "]";
  return s;
}

llvm::Expected<flatbuffers::Offset<fbs::TensorSpec>> spec(flatbuffers::FlatBufferBuilder &fb,
                                                          const TensorInfo &t) {
  auto dtype = dtypeOf(t.elementType);
  if (!dtype)
    return dtype.takeError();
  return fbs::CreateTensorSpec(fb, fb.CreateString(t.name), *dtype, fb.CreateVector(t.shape));
}

flatbuffers::Offset<flatbuffers::Vector<uint8_t>> alignedBytes(flatbuffers::FlatBufferBuilder &fb,
                                                               const uint8_t *data, size_t size) {
  // 64-byte alignment lets the runtime use constants in place from the mapped file.
  fb.ForceVectorAlignment(size, 1, 64);
  return fb.CreateVector(data, size);
}

/// The parameter values from a safetensors file, checked against the graph: every missing,
/// extra and mismatched name is reported at once.
llvm::Expected<std::vector<runtime::Tensor>>
loadWeights(const ProgramInfo &program, const std::string &path, bool allowUnused) {
  auto file = runtime::SafetensorsFile::open(path);
  if (!file)
    return makeError(file.error().message());
  std::vector<std::string> problems;
  std::vector<runtime::Tensor> values;
  std::set<std::string> used;
  for (const TensorInfo &p : program.parameters) {
    used.insert(p.name);
    const runtime::SafetensorsTensor *t = (*file)->find(p.name);
    if (!t) {
      problems.push_back("missing '" + p.name + "' " + typeString(p));
      values.emplace_back();
      continue;
    }
    if (runtime::Shape(p.shape) != t->shape) {
      problems.push_back("'" + p.name + "': the model expects " + typeString(p) +
                         ", the file has " + runtime::safetensorsDTypeName(t->dtype) +
                         runtime::formatShape(t->shape));
      values.emplace_back();
      continue;
    }
    auto v = (*file)->readF32(p.name);
    if (!v) {
      problems.push_back("'" + p.name + "': " + v.error().message());
      values.emplace_back();
      continue;
    }
    values.push_back(v.takeValue());
  }
  for (const std::string &name : (*file)->names())
    if (!used.count(name) && !allowUnused)
      problems.push_back("unexpected '" + name + "' (no parameter of that name)");
  if (!problems.empty()) {
    std::string msg = path + ": weights do not match the model (" +
                      std::to_string(problems.size()) + " problem" +
                      (problems.size() > 1 ? "s" : "") + "):";
    for (const std::string &p : problems)
      msg += "\n  " + p;
    if (!allowUnused && std::any_of(problems.begin(), problems.end(), [](const std::string &p) {
          return p.rfind("unexpected", 0) == 0;
        }))
      msg += "\n(--allow-unused-weights skips tensors that no parameter uses)";
    return makeError(msg);
  }
  return values;
}

} // namespace

void seededRange(const std::string &name, const std::vector<int64_t> &shape, float &low,
                 float &high) {
  auto endsWith = [&](const char *suffix) {
    size_t n = strlen(suffix);
    return name.size() >= n && name.compare(name.size() - n, n, suffix) == 0;
  };
  if (shape.size() >= 2) {
    double fanIn = 1;
    for (size_t i = 1; i < shape.size(); ++i)
      fanIn *= double(shape[i]);
    float bound = float(1.0 / std::sqrt(std::max(1.0, fanIn)));
    low = -bound, high = bound;
  } else if (shape.size() == 1 && (endsWith("weight") || endsWith("running_var"))) {
    low = 0.9f, high = 1.1f; // normalization gains and variances around one
  } else {
    low = -0.02f, high = 0.02f;
  }
}

uint64_t parameterSeed(uint64_t moduleSeed, const std::string &name) {
  uint64_t h = 0xcbf29ce484222325ull; // FNV-1a
  for (unsigned char c : name)
    h = (h ^ c) * 0x100000001b3ull;
  return runtime::splitmix64(moduleSeed ^ h);
}

llvm::Expected<std::vector<uint8_t>> writeModule(const ProgramInfo &program,
                                                 const std::vector<ExecutableInfo> &executables,
                                                 const WeightsOptions &weights,
                                                 const BuildRecord &build) {
  std::vector<runtime::Tensor> paramValues;
  if (!weights.path.empty()) {
    auto loaded = loadWeights(program, weights.path, weights.allowUnused);
    if (!loaded)
      return loaded.takeError();
    paramValues = std::move(*loaded);
  }

  flatbuffers::FlatBufferBuilder fb(1 << 16);
  std::vector<flatbuffers::Offset<fbs::TensorSpec>> inputs, outputs;
  for (const TensorInfo &t : program.inputs) {
    auto s = spec(fb, t);
    if (!s)
      return s.takeError();
    inputs.push_back(*s);
  }
  for (const TensorInfo &t : program.outputs) {
    auto s = spec(fb, t);
    if (!s)
      return s.takeError();
    outputs.push_back(*s);
  }

  std::vector<flatbuffers::Offset<fbs::Constant>> constants;
  for (const ConstantInfo &c : program.constants) {
    auto s = spec(fb, c.tensor);
    if (!s)
      return s.takeError();
    flatbuffers::Offset<fbs::PanelPacking> packing;
    runtime::PanelPacking panels;
    if (c.packing) {
      panels.source.assign(c.packing->shape.begin(), c.packing->shape.end());
      panels.permutation.assign(c.packing->permutation.begin(), c.packing->permutation.end());
      panels.panelDim = uint32_t(c.packing->panelDim);
      panels.panel = uint32_t(c.packing->panel);
      auto shape = runtime::packedShape(panels);
      if (!shape || *shape != runtime::Shape(c.tensor.shape))
        return makeError("internal error: inconsistent packing of '" + c.tensor.name + "'");
      panels.sourceOffset = uint64_t(c.packing->offset);
      packing = fbs::CreatePanelPacking(fb, fb.CreateVector(c.packing->shape),
                                        fb.CreateVector(panels.permutation), panels.panelDim,
                                        panels.panel, panels.sourceOffset);
    }
    if (c.parameter >= 0 && paramValues.empty()) {
      // The fill is defined on the parameter as declared; packing reorders it afterwards.
      const TensorInfo &param = program.parameters[c.parameter];
      float low, high;
      seededRange(param.name, param.shape, low, high);
      constants.push_back(fbs::CreateConstant(fb, *s, fbs::ConstantStorage::SeededUniform, 0,
                                              parameterSeed(weights.seed, param.name), low, high,
                                              packing));
      continue;
    }
    std::vector<uint8_t> bytes;
    const uint8_t *data;
    size_t size;
    if (c.parameter >= 0 && c.packing) {
      const runtime::Tensor &value = paramValues[c.parameter];
      uint64_t count = 1;
      for (int64_t d : c.tensor.shape)
        count *= uint64_t(d);
      bytes.resize(count * sizeof(float));
      uint64_t sourceCount = 1;
      for (int64_t d : c.packing->shape)
        sourceCount *= uint64_t(d);
      if (panels.sourceOffset + sourceCount > value.numElements())
        return makeError("internal error: packed block of '" + c.tensor.name +
                         "' outside the parameter");
      runtime::packPanels(static_cast<const float *>(value.data()) + panels.sourceOffset, panels,
                          reinterpret_cast<float *>(bytes.data()));
      data = bytes.data();
      size = bytes.size();
    } else if (c.parameter >= 0) {
      data = static_cast<const uint8_t *>(paramValues[c.parameter].data());
      size = paramValues[c.parameter].byteSize();
    } else {
      if (!c.value.getElementType().isF32())
        return makeError("folded constant '" + c.tensor.name + "' is not f32");
      for (float v : c.value.getValues<float>()) {
        const auto *p = reinterpret_cast<const uint8_t *>(&v);
        bytes.insert(bytes.end(), p, p + sizeof(float));
      }
      data = bytes.data();
      size = bytes.size();
    }
    auto vec = alignedBytes(fb, data, size);
    constants.push_back(
        fbs::CreateConstant(fb, *s, fbs::ConstantStorage::Embedded, vec, 0, 0, 0, packing));
  }

  // One entry point per dispatch function; identical dispatches share one.
  std::vector<std::string> functions;
  std::map<std::string, uint32_t> entryIndex;
  for (const DispatchInfo &d : program.dispatches)
    if (entryIndex.emplace(d.function, uint32_t(functions.size())).second)
      functions.push_back(d.function);
  std::vector<flatbuffers::Offset<fbs::Executable>> exes;
  for (const ExecutableInfo &executable : executables) {
    bool ptx = executable.format == ExecutableInfo::Format::Ptx;
    std::vector<flatbuffers::Offset<flatbuffers::String>> entries;
    std::vector<flatbuffers::Offset<fbs::GpuKernel>> kernels;
    for (uint32_t e = 0; e < functions.size(); ++e) {
      entries.push_back(fb.CreateString(ptx ? functions[e] : "tsr_" + functions[e]));
      if (!ptx)
        continue;
      auto it = executable.kernels.find(functions[e]);
      if (it == executable.kernels.end())
        return makeError("internal error: no GPU kernels recorded for dispatch '" + functions[e] +
                         "'");
      for (const GpuKernelInfo &k : it->second) {
        flatbuffers::Offset<fbs::GemmCall> gemm;
        if (const auto &g = k.gemm)
          gemm = fbs::CreateGemmCall(fb, g->m, g->n, g->k, g->batch, g->aBinding, g->bBinding,
                                     g->dBinding, g->aOffset, g->bOffset, g->dOffset, g->transposeA,
                                     g->transposeB, g->lda, g->ldb, g->ldd, g->strideA, g->strideB,
                                     g->strideD, g->beta, fbs::GemmCompute(g->compute));
        kernels.push_back(fbs::CreateGpuKernel(fb, e, fb.CreateString(k.name), k.blockSize,
                                               k.gridSize, k.sharedMemoryBytes, gemm));
      }
    }
    std::vector<uint8_t> bytes = executable.object;
    if (ptx)
      bytes.push_back(0); // cuModuleLoadData reads PTX as a C string
    auto code = alignedBytes(fb, bytes.data(), bytes.size());
    auto entriesVec = fb.CreateVector(entries);
    auto kernelsVec =
        ptx ? fb.CreateVector(kernels)
            : flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fbs::GpuKernel>>>();
    exes.push_back(fbs::CreateExecutable(
        fb, ptx ? fbs::ExecutableFormat::Ptx : fbs::ExecutableFormat::ElfSharedObject,
        fb.CreateString(executable.target), code, entriesVec, kernelsVec));
  }

  std::vector<flatbuffers::Offset<fbs::Dispatch>> dispatches;
  for (size_t i = 0; i < program.dispatches.size(); ++i) {
    const DispatchInfo &d = program.dispatches[i];
    std::vector<fbs::Binding> bindings;
    std::vector<uint8_t> access;
    std::vector<flatbuffers::Offset<flatbuffers::String>> types;
    for (const BindingInfo &b : d.bindings) {
      bindings.emplace_back(static_cast<fbs::BindingKind>(b.kind), b.index, b.offset, b.length);
      access.push_back(uint8_t(b.read) | uint8_t(b.written) << 1);
      types.push_back(fb.CreateString(b.type));
    }
    dispatches.push_back(fbs::CreateDispatch(
        fb, fb.CreateString(d.name), 0, entryIndex.at(d.function), d.workgroups, 1, 1,
        fb.CreateVectorOfStructs(bindings), d.flops, fb.CreateString(d.source),
        fb.CreateString(d.parameters), fb.CreateVector(access), fb.CreateVector(d.dependsOn),
        fb.CreateVector(types)));
  }

  std::vector<flatbuffers::Offset<fbs::AttentionMap>> attentionMaps;
  for (const AttentionMapInfo &m : program.attentionMaps) {
    auto grid = [](const std::optional<std::array<int64_t, 3>> &g) {
      return g ? std::optional<fbs::SequenceGrid>(fbs::SequenceGrid((*g)[0], (*g)[1], (*g)[2]))
               : std::nullopt;
    };
    auto queryGrid = grid(m.queryGrid), keyGrid = grid(m.keyGrid);
    attentionMaps.push_back(fbs::CreateAttentionMap(fb, m.output, fb.CreateString(m.layer),
                                                    queryGrid ? &*queryGrid : nullptr,
                                                    keyGrid ? &*keyGrid : nullptr));
  }
  auto attentionMapsVec = fb.CreateVector(attentionMaps);
  auto imageFlags = fb.CreateString(program.imageFlags);
  std::vector<flatbuffers::Offset<fbs::SourceFile>> sources;
  for (const auto &[path, sha256] : build.sources)
    sources.push_back(fbs::CreateSourceFile(fb, fb.CreateString(path), fb.CreateString(sha256)));
  auto buildInfo =
      fbs::CreateBuildInfo(fb, fb.CreateVector(sources), fb.CreateString(build.config),
                           fb.CreateString(build.options), fb.CreateString(build.weights));
  auto name = fb.CreateString(program.name);
  auto producer = fb.CreateString("tessera 0.1 (LLVM/MLIR 19)");
  auto inputsVec = fb.CreateVector(inputs);
  auto outputsVec = fb.CreateVector(outputs);
  auto constantsVec = fb.CreateVector(constants);
  auto exesVec = fb.CreateVector(exes);
  auto dispatchVec = fb.CreateVector(dispatches);
  fbs::ModuleBuilder mb(fb);
  mb.add_format_version(kFormatVersion);
  mb.add_name(name);
  mb.add_producer(producer);
  mb.add_inputs(inputsVec);
  mb.add_outputs(outputsVec);
  mb.add_constants(constantsVec);
  mb.add_executables(exesVec);
  mb.add_arena_size(program.arenaSize);
  mb.add_dispatches(dispatchVec);
  if (!attentionMaps.empty())
    mb.add_attention_maps(attentionMapsVec);
  if (!program.imageFlags.empty())
    mb.add_image_flags(imageFlags);
  mb.add_build(buildInfo);
  mb.add_checksum(0xffffffffu); // placeholder so the field is present; sealed below
  fbs::FinishModuleBuffer(fb, mb.Finish());

  std::vector<uint8_t> bytes(fb.GetBufferPointer(), fb.GetBufferPointer() + fb.GetSize());
  if (runtime::Error err = runtime::sealModuleChecksum(bytes.data(), bytes.size()))
    return makeError("internal error sealing the module: " + err.message());
  return bytes;
}

} // namespace tessera::codegen
