// Every rule here protects a later step that trusts the module: sizes protect allocation and
// memcpy, indices protect table lookups, binding ranges protect what kernels may touch.
#include "ModuleValidator.h"

#include "tessera/schema/module_generated.h"

#include <cmath>
#include <string_view>
#include <unordered_set>

namespace tessera::runtime {
namespace {

std::string quoted(const std::string &name) { return "'" + name + "'"; }

std::string toString(const flatbuffers::String *s) { return s ? s->str() : std::string(); }

// The FlatBuffers verifier checks the alignment of a vector's length prefix only; elements
// wider than 4 bytes (shape dims, Binding structs) must be checked before they are read.
template <typename T> bool isAlignedFor(const void *p) {
  return reinterpret_cast<uintptr_t>(p) % alignof(T) == 0;
}

Error validateSpec(const schema::TensorSpec *fb, const std::string &what, TensorSpec &out) {
  out.name = toString(fb->name());
  std::string where = what + " " + quoted(out.name);
  int rawDType = static_cast<int>(fb->dtype());
  if (!isValidDType(rawDType))
    return makeError(where, ": unknown dtype ", rawDType);
  out.dtype = static_cast<DType>(rawDType);
  const flatbuffers::Vector<int64_t> *shape = fb->shape();
  // An empty vector has no elements to misread, and writers need not align it.
  if (shape->size() != 0 && !isAlignedFor<int64_t>(shape->Data()))
    return makeError(where, ": shape is not 8-byte aligned in the buffer");
  if (shape->size() > Module::kMaxRank)
    return makeError(where, ": rank ", shape->size(), " exceeds the maximum of ", Module::kMaxRank);
  out.shape.assign(shape->begin(), shape->end());
  for (size_t i = 0; i < out.shape.size(); ++i)
    if (out.shape[i] < 0)
      return makeError(where, ": dimension ", i, " is negative (", formatShape(out.shape), ")");
  Expected<uint64_t> bytes = checkedByteSize(out.dtype, out.shape);
  if (!bytes)
    return bytes.takeError().withContext(where);
  if (*bytes > limits::kMaxTensorBytes)
    return makeError(where, ": ", formatShape(out.shape), " is ", limits::formatBytes(*bytes),
                     ", larger than the largest tensor a module may hold (",
                     limits::formatBytes(limits::kMaxTensorBytes), ")");
  out.byteSize = *bytes;
  out.numElements = *bytes / dtypeSize(out.dtype);
  return Error::success();
}

Error validateSpecList(const flatbuffers::Vector<flatbuffers::Offset<schema::TensorSpec>> *list,
                       const char *what, std::vector<TensorSpec> &out) {
  std::unordered_set<std::string> seen;
  out.resize(list->size());
  for (uint32_t i = 0; i < list->size(); ++i) {
    if (Error err = validateSpec(list->Get(i), concat(what, " ", i), out[i]))
      return err;
    if (out[i].name.empty())
      return makeError(what, " ", i, ": empty name");
    if (!seen.insert(out[i].name).second)
      return makeError(what, " ", i, ": duplicate name ", quoted(out[i].name));
  }
  return Error::success();
}

Error validateConstant(const schema::Constant *fb, uint32_t index, const uint8_t *buffer,
                       ConstantInfo &out) {
  if (Error err = validateSpec(fb->spec(), concat("constant ", index), out.spec))
    return err;
  std::string where = concat("constant ", index, " ", quoted(out.spec.name));
  if (const schema::PanelPacking *packing = fb->packing()) {
    if (out.spec.dtype != DType::F32)
      return makeError(where, ": packed constants must be f32, not ", dtypeName(out.spec.dtype));
    // The verifier checks 4-byte alignment only; int64 elements need 8 (found by fuzz-module).
    const flatbuffers::Vector<int64_t> *source = packing->source_shape();
    if (source->size() != 0 && !isAlignedFor<int64_t>(source->Data()))
      return makeError(where, ": packing source shape is not 8-byte aligned in the buffer");
    PanelPacking p;
    p.source.assign(source->begin(), source->end());
    p.permutation.assign(packing->permutation()->begin(), packing->permutation()->end());
    p.panelDim = packing->panel_dim();
    p.panel = packing->panel();
    p.sourceOffset = packing->source_offset();
    if (p.sourceOffset > (uint64_t(1) << 62))
      return makeError(where, ": packing source offset ", p.sourceOffset, " is out of range");
    if (p.source.size() > Module::kMaxRank)
      return makeError(where, ": packing source has rank ", p.source.size(), " (at most ",
                       Module::kMaxRank, ")");
    Expected<Shape> shape = packedShape(p);
    if (!shape)
      return shape.takeError().withContext(where);
    if (*shape != out.spec.shape)
      return makeError(where, ": packing of ", formatShape(p.source), " gives ",
                       formatShape(*shape), ", but the constant is ", out.spec.typeString());
    out.packing = std::move(p);
  }
  const flatbuffers::Vector<uint8_t> *data = fb->data();
  switch (static_cast<int>(fb->storage())) {
  case static_cast<int>(schema::ConstantStorage::Embedded): {
    out.storage = ConstantStorage::Embedded;
    if (!data)
      return makeError(where, ": embedded constant has no data");
    if (data->size() != out.spec.byteSize)
      return makeError(where, ": embedded data is ", data->size(), " bytes, but ",
                       out.spec.typeString(), " needs ", out.spec.byteSize);
    size_t offset = static_cast<size_t>(data->data() - buffer);
    if (out.spec.byteSize > 0 && offset % 64 != 0)
      return makeError(where, ": embedded data at byte ", offset,
                       " is not 64-byte aligned (write it with ForceVectorAlignment(64))");
    out.data = data->data();
    return Error::success();
  }
  case static_cast<int>(schema::ConstantStorage::SeededUniform):
    out.storage = ConstantStorage::SeededUniform;
    if (out.spec.dtype != DType::F32)
      return makeError(where, ": seeded constants must be f32, not ", dtypeName(out.spec.dtype));
    out.seed = fb->seed();
    out.low = fb->low();
    out.high = fb->high();
    if (!std::isfinite(out.low) || !std::isfinite(out.high))
      return makeError(where, ": seeded range [", out.low, ", ", out.high, "] is not finite");
    if (!(out.low <= out.high))
      return makeError(where, ": seeded range has low ", out.low, " > high ", out.high);
    if (data && data->size() != 0)
      return makeError(where, ": seeded constant must not carry data (", data->size(), " bytes)");
    return Error::success();
  default:
    return makeError(where, ": unknown storage ", static_cast<int>(fb->storage()));
  }
}

// PTX is text the driver's JIT parses: it must be NUL-terminated, and every kernel a launch
// names must be an .entry of it, with a block the hardware allows.
Error validatePtx(const schema::Executable *fb, const std::string &where, ExecutableInfo &out) {
  const char *text = reinterpret_cast<const char *>(out.data);
  if (out.data[out.size - 1] != 0)
    return makeError(where, ": PTX text is not NUL-terminated");
  std::string_view ptx(text, out.size - 1);
  if (ptx.find('\0') != std::string_view::npos)
    return makeError(where, ": PTX text contains a NUL byte before its end");
  const auto *kernels = fb->kernels();
  uint32_t count = kernels ? kernels->size() : 0;
  out.kernels.resize(count);
  for (uint32_t i = 0; i < count; ++i) {
    const schema::GpuKernel *k = kernels->Get(i);
    GpuKernelInfo &info = out.kernels[i];
    std::string kw = concat(where, " kernel ", i);
    info.entryPoint = k->entry_point();
    info.name = toString(k->name());
    info.blockSize = k->block_size_x();
    info.gridSize = k->grid_size_x();
    info.sharedMemoryBytes = k->shared_memory_bytes();
    if (info.entryPoint >= out.entryPoints.size())
      return makeError(kw, ": entry point index ", info.entryPoint, " out of range (",
                       out.entryPoints.size(), " entry points)");
    if (i > 0 && info.entryPoint < out.kernels[i - 1].entryPoint)
      return makeError(kw, ": kernels are not grouped by entry point");
    if (info.name.empty())
      return makeError(kw, ": empty name");
    if (const schema::GemmCall *g = k->gemm()) {
      GemmCallInfo gemm;
      gemm.m = g->m(), gemm.n = g->n(), gemm.k = g->k(), gemm.batch = g->batch();
      gemm.aBinding = g->a_binding(), gemm.bBinding = g->b_binding();
      gemm.dBinding = g->d_binding();
      gemm.aOffset = g->a_offset(), gemm.bOffset = g->b_offset(), gemm.dOffset = g->d_offset();
      gemm.transposeA = g->transpose_a(), gemm.transposeB = g->transpose_b();
      gemm.lda = g->lda(), gemm.ldb = g->ldb(), gemm.ldd = g->ldd();
      gemm.strideA = g->stride_a(), gemm.strideB = g->stride_b(), gemm.strideD = g->stride_d();
      gemm.beta = g->beta();
      if (uint8_t(g->compute()) > uint8_t(GemmCompute::Bf16))
        return makeError(kw, " '", info.name, "': unknown matrix product arithmetic ",
                         int(g->compute()));
      gemm.compute = GemmCompute(g->compute());
      const int64_t kMax = int64_t(1) << 40;
      auto in = [&](int64_t v, int64_t lo) { return v >= lo && v <= kMax; };
      if (!in(gemm.m, 1) || !in(gemm.n, 1) || !in(gemm.k, 1) || !in(gemm.batch, 1))
        return makeError(kw, " '", info.name, "': matrix product of ", gemm.m, " x ", gemm.n, " x ",
                         gemm.k, " (batch ", gemm.batch, ") has an empty or huge extent");
      int64_t aRows = gemm.transposeA ? gemm.k : gemm.m, bRows = gemm.transposeB ? gemm.n : gemm.k;
      if (!in(gemm.lda, aRows) || !in(gemm.ldb, bRows) || !in(gemm.ldd, gemm.m))
        return makeError(kw, " '", info.name, "': leading dimensions ", gemm.lda, ", ", gemm.ldb,
                         ", ", gemm.ldd, " smaller than the matrices' rows");
      if (!in(gemm.aOffset, 0) || !in(gemm.bOffset, 0) || !in(gemm.dOffset, 0) ||
          !in(gemm.strideA, 0) || !in(gemm.strideB, 0) || !in(gemm.strideD, 0))
        return makeError(kw, " '", info.name, "': negative or huge offsets or strides");
      if (gemm.beta != 0.0f && gemm.beta != 1.0f)
        return makeError(kw, " '", info.name, "': beta ", gemm.beta, " (must be 0 or 1)");
      info.gemm = gemm;
      continue; // a library call: no .entry, no block
    }
    if (info.blockSize < 1 || info.blockSize > 1024)
      return makeError(kw, " '", info.name, "': block size ", info.blockSize, " outside [1, 1024]");
    if (info.gridSize < 1 || info.gridSize > 0x7fffffffu)
      return makeError(kw, " '", info.name, "': grid size ", info.gridSize,
                       " outside [1, 2^31 - 1]");
    if (info.sharedMemoryBytes > 227u * 1024u)
      return makeError(kw, " '", info.name, "': ", info.sharedMemoryBytes,
                       " bytes of shared memory (at most 227 KiB per block)");
    std::string entry = ".entry " + info.name + "(";
    if (ptx.find(entry) == std::string_view::npos)
      return makeError(kw, ": the PTX has no '.entry ", info.name, "'");
  }
  return Error::success();
}

Error validateExecutable(const schema::Executable *fb, uint32_t index, ExecutableInfo &out) {
  std::string where = concat("executable ", index);
  int rawFormat = static_cast<int>(fb->format());
  if (rawFormat != static_cast<int>(schema::ExecutableFormat::ElfSharedObject) &&
      rawFormat != static_cast<int>(schema::ExecutableFormat::Ptx))
    return makeError(where, ": unknown format ", rawFormat);
  out.format = static_cast<ExecutableFormat>(rawFormat);
  out.target = toString(fb->target());
  if (fb->data()->size() == 0)
    return makeError(where, ": empty data");
  out.data = fb->data()->data();
  out.size = fb->data()->size();
  const auto *entries = fb->entry_points();
  out.entryPoints.resize(entries->size());
  for (uint32_t i = 0; i < entries->size(); ++i) {
    out.entryPoints[i] = toString(entries->Get(i));
    if (out.entryPoints[i].empty())
      return makeError(where, ": entry point ", i, " has an empty name");
  }
  const auto *kernels = fb->kernels();
  if (out.format == ExecutableFormat::ElfSharedObject) {
    if (kernels && kernels->size())
      return makeError(where, ": a CPU executable has no GPU kernels, but ", kernels->size(),
                       " are listed");
    return Error::success();
  }
  return validatePtx(fb, where, out);
}

// Text the tools print (layer names, binding types, image flags): bounded, printable ASCII, so
// a module cannot flood or drive a terminal.
Error checkDisplayText(const std::string &text, const std::string &what, size_t limit = 256) {
  if (text.size() > limit)
    return makeError(what, ": ", text.size(), " bytes (at most ", limit, ")");
  for (char c : text)
    if (c < 0x20 || c > 0x7e)
      return makeError(what, " holds a non-printable character");
  return Error::success();
}

Error validateAttentionMap(const schema::AttentionMap *fb, uint32_t index,
                           const std::vector<TensorSpec> &outputs, AttentionMapInfo &out) {
  std::string where = concat("attention map ", index);
  if (!fb)
    return makeError(where, ": missing");
  out.output = fb->output();
  out.layer = toString(fb->layer());
  if (Error err = checkDisplayText(out.layer, concat(where, ": layer")))
    return err;
  if (out.output >= outputs.size())
    return makeError(where, ": output ", out.output, " out of range (", outputs.size(),
                     " outputs)");
  const TensorSpec &spec = outputs[out.output];
  where += concat(" (output ", quoted(spec.name), ")");
  if (spec.dtype != DType::F32 || spec.shape.size() < 2 || spec.numElements == 0)
    return makeError(where, ": ", spec.typeString(),
                     " is no attention map (f32 [B.., queries, keys], not empty)");
  const size_t rank = spec.shape.size();
  struct Axis {
    const schema::SequenceGrid *grid;
    int64_t size;
    const char *name, *plural;
    std::optional<SequenceGrid> *out;
  };
  for (const Axis &axis :
       {Axis{fb->query_grid(), spec.shape[rank - 2], "query", "queries", &out.queryGrid},
        Axis{fb->key_grid(), spec.shape[rank - 1], "key", "keys", &out.keyGrid}}) {
    if (!axis.grid)
      continue;
    int64_t prefix = axis.grid->prefix(), rows = axis.grid->rows(), cols = axis.grid->cols();
    int64_t cells = 0;
    if (prefix < 0 || rows < 1 || cols < 1 || prefix > axis.size ||
        __builtin_mul_overflow(rows, cols, &cells) || cells != axis.size - prefix)
      return makeError(where, ": ", axis.name, " grid ", prefix, " + ", rows, " x ", cols,
                       " does not cover its ", axis.size, " ", axis.plural);
    *axis.out = SequenceGrid{prefix, rows, cols};
  }
  return Error::success();
}

// Describes the buffer a binding names, e.g. "constant 2 'fc1.weight' (4096 bytes)".
std::string describeBuffer(BindingKind kind, uint32_t index, const std::string &name,
                           uint64_t size) {
  std::string text = bindingKindName(kind);
  if (kind != BindingKind::Arena)
    text += concat(" ", index, " ", quoted(name));
  return text + concat(" (", size, " bytes)");
}

Error validateDispatch(const schema::Dispatch *fb, uint32_t index, const ModuleInfo &info,
                       DispatchInfo &out) {
  std::string where = concat("dispatch ", index);
  out.name = toString(fb->name());
  out.source = toString(fb->source());
  out.parameters = toString(fb->parameters());
  if (const auto *deps = fb->depends_on()) {
    out.hasDependencies = true;
    for (uint32_t i = 0; i < deps->size(); ++i) {
      uint32_t dep = deps->Get(i);
      if (dep >= index || (i > 0 && dep <= deps->Get(i - 1)))
        return makeError(where,
                         ": depends_on must list earlier dispatches in ascending order, "
                         "got ",
                         dep, " at position ", i);
      out.dependsOn.push_back(dep);
    }
  }
  out.executable = fb->executable();
  out.entryPoint = fb->entry_point();
  if (out.executable >= info.executables.size())
    return makeError(where, ": executable index ", out.executable, " out of range (module has ",
                     info.executables.size(), " executables)");
  const ExecutableInfo &exe = info.executables[out.executable];
  if (out.entryPoint >= exe.entryPoints.size())
    return makeError(where, ": entry point index ", out.entryPoint, " out of range (executable ",
                     out.executable, " has ", exe.entryPoints.size(), " entry points)");
  out.workgroupCount[0] = fb->workgroup_count_x();
  out.flops = fb->flops();
  out.workgroupCount[1] = fb->workgroup_count_y();
  out.workgroupCount[2] = fb->workgroup_count_z();
  for (int d = 0; d < 3; ++d)
    if (out.workgroupCount[d] < 1)
      return makeError(where, ": workgroup count ", "xyz"[d], " is 0");
  if (exe.format == ExecutableFormat::ElfSharedObject &&
      (out.workgroupCount[1] != 1 || out.workgroupCount[2] != 1))
    return makeError(where, ": workgroup counts [", out.workgroupCount[0], ", ",
                     out.workgroupCount[1], ", ", out.workgroupCount[2],
                     "]: CPU executables take a 1-D grid (y and z must be 1)");

  const auto *bindings = fb->bindings();
  if (bindings->size() != 0 && !isAlignedFor<schema::Binding>(bindings->Data()))
    return makeError(where, ": bindings are not 8-byte aligned in the buffer");
  out.bindings.resize(bindings->size());
  const auto *access = fb->binding_access();
  if (access && access->size() != bindings->size())
    return makeError(where, ": ", access->size(), " binding access flags for ", bindings->size(),
                     " bindings");
  out.hasBindingAccess = access != nullptr;
  const auto *types = fb->binding_types();
  if (types && types->size() != bindings->size())
    return makeError(where, ": ", types->size(), " binding types for ", bindings->size(),
                     " bindings");
  for (uint32_t i = 0; i < bindings->size(); ++i) {
    const schema::Binding *b = bindings->Get(i);
    std::string bwhere = concat(where, " binding ", i);
    BindingInfo &bi = out.bindings[i];
    int rawKind = static_cast<int>(b->kind());
    if (rawKind < 0 || rawKind > static_cast<int>(BindingKind::Arena))
      return makeError(bwhere, ": unknown binding kind ", rawKind);
    bi.kind = static_cast<BindingKind>(rawKind);
    bi.index = b->index();
    bi.offset = b->offset();
    bi.length = b->length();
    if (access) {
      if (access->Get(i) > 3)
        return makeError(bwhere, ": access flags ", int(access->Get(i)), " (expected 0..3)");
      bi.read = access->Get(i) & 1;
      bi.written = access->Get(i) & 2;
    }
    if (types) {
      // Display text only, but bounded: a type is a dtype and at most kMaxRank sizes.
      if (!types->Get(i))
        return makeError(bwhere, ": missing type");
      bi.type = toString(types->Get(i));
      if (Error err = checkDisplayText(bi.type, concat(bwhere, ": type")))
        return err;
    }

    uint64_t size = 0;
    std::string name;
    size_t count = 0;
    switch (bi.kind) {
    case BindingKind::Input:
      count = info.inputs.size();
      break;
    case BindingKind::Output:
      count = info.outputs.size();
      break;
    case BindingKind::Constant:
      count = info.constants.size();
      break;
    case BindingKind::Arena:
      count = 1;
      break;
    }
    if (bi.index >= count) {
      if (bi.kind == BindingKind::Arena)
        return makeError(bwhere, ": arena index must be 0, not ", bi.index);
      return makeError(bwhere, ": ", bindingKindName(bi.kind), " index ", bi.index,
                       " out of range (module has ", count, ")");
    }
    switch (bi.kind) {
    case BindingKind::Input:
      size = info.inputs[bi.index].byteSize;
      name = info.inputs[bi.index].name;
      break;
    case BindingKind::Output:
      size = info.outputs[bi.index].byteSize;
      name = info.outputs[bi.index].name;
      break;
    case BindingKind::Constant:
      size = info.constants[bi.index].spec.byteSize;
      name = info.constants[bi.index].spec.name;
      break;
    case BindingKind::Arena:
      size = info.arenaSize;
      break;
    }
    // Kernels may assume 64-byte aligned buffers (vector loads, the element type's own
    // alignment); the compiler places every buffer so.
    if (bi.offset % Module::kBufferAlignment != 0)
      return makeError(bwhere, ": offset ", bi.offset, " is not a multiple of ",
                       Module::kBufferAlignment, " bytes");
    uint64_t end;
    if (!checkedAdd(bi.offset, bi.length, &end))
      return makeError(bwhere, ": offset ", bi.offset, " + length ", bi.length, " overflows");
    if (end > size)
      return makeError(bwhere, ": range [", bi.offset, ", ", end, ") exceeds ",
                       describeBuffer(bi.kind, bi.index, name, size));
  }
  // A library call reads and writes through the dispatch's bindings: every matrix it touches
  // must lie inside the binding's range.
  for (const ExecutableInfo &exe : info.executables)
    for (const GpuKernelInfo &k : exe.kernels) {
      if (k.entryPoint != out.entryPoint || !k.gemm)
        continue;
      const GemmCallInfo &g = *k.gemm;
      auto check = [&](const char *matrix, uint32_t binding, int64_t offset, int64_t rows,
                       int64_t cols, int64_t ld, int64_t stride) -> Error {
        if (binding >= out.bindings.size())
          return makeError(where, ": matrix product '", k.name, "': ", matrix, " binding ", binding,
                           " out of range (", out.bindings.size(), " bindings)");
        // Last element touched, in elements; every factor is at most 2^40.
        __int128 last = __int128(offset) + __int128(g.batch - 1) * stride +
                        __int128(cols - 1) * ld + (rows - 1);
        __int128 bytes = (last + 1) * 4;
        if (bytes > __int128(out.bindings[binding].length))
          return makeError(where, ": matrix product '", k.name, "': ", matrix, " reaches byte ",
                           int64_t(bytes), " of binding ", binding, " (",
                           out.bindings[binding].length, " bytes)");
        return Error::success();
      };
      if (Error err = check("A", g.aBinding, g.aOffset, g.transposeA ? g.k : g.m,
                            g.transposeA ? g.m : g.k, g.lda, g.strideA))
        return err;
      if (Error err = check("B", g.bBinding, g.bOffset, g.transposeB ? g.n : g.k,
                            g.transposeB ? g.k : g.n, g.ldb, g.strideB))
        return err;
      if (Error err = check("D", g.dBinding, g.dOffset, g.m, g.n, g.ldd, g.strideD))
        return err;
    }
  return Error::success();
}

} // namespace

Expected<ModuleInfo> validateModule(const uint8_t *buffer, size_t /*size*/) {
  const schema::Module *fb = schema::GetModule(buffer);
  ModuleInfo info;
  info.formatVersion = fb->format_version();
  if (info.formatVersion != Module::kFormatVersion)
    return makeError("unsupported format version ", info.formatVersion, " (this runtime reads ",
                     Module::kFormatVersion, ")");
  info.name = toString(fb->name());
  info.producer = toString(fb->producer());
  info.checksum = fb->checksum();

  if (Error err = validateSpecList(fb->inputs(), "input", info.inputs))
    return err;
  if (Error err = validateSpecList(fb->outputs(), "output", info.outputs))
    return err;

  const auto *constants = fb->constants();
  info.constants.resize(constants->size());
  for (uint32_t i = 0; i < constants->size(); ++i)
    if (Error err = validateConstant(constants->Get(i), i, buffer, info.constants[i]))
      return err;

  const auto *executables = fb->executables();
  info.executables.resize(executables->size());
  for (uint32_t i = 0; i < executables->size(); ++i) {
    if (Error err = validateExecutable(executables->Get(i), i, info.executables[i]))
      return err;
    if (i > 0 && info.executables[i].entryPoints.size() != info.executables[0].entryPoints.size())
      return makeError("executable ", i, " has ", info.executables[i].entryPoints.size(),
                       " entry points, executable 0 has ", info.executables[0].entryPoints.size(),
                       " (every executable implements the same entry points)");
  }

  info.arenaSize = fb->arena_size();
  // The machine's own limit is the session's to check (SessionOptions::maxMemoryBytes); this
  // only rejects sizes no machine has.
  if (info.arenaSize > Module::kMaxArenaSize)
    return makeError("arena_size ", info.arenaSize, " bytes exceeds the limit of ",
                     limits::formatBytes(Module::kMaxArenaSize));

  const auto *dispatches = fb->dispatches();
  info.dispatches.resize(dispatches->size());
  for (uint32_t i = 0; i < dispatches->size(); ++i)
    if (Error err = validateDispatch(dispatches->Get(i), i, info, info.dispatches[i]))
      return err;
  if (const auto *flags = fb->image_flags()) {
    info.imageFlags = toString(flags);
    if (Error err = checkDisplayText(info.imageFlags, "image_flags", 4096))
      return err;
  }
  if (const auto *build = fb->build()) {
    BuildInfo &out = info.build;
    struct Field {
      const char *what;
      const flatbuffers::String *text;
      size_t limit;
      std::string *out;
    };
    for (const Field &field : {Field{"build config", build->config(), 1 << 16, &out.config},
                               Field{"build options", build->options(), 1 << 16, &out.options},
                               Field{"build weights", build->weights(), 4096, &out.weights}}) {
      *field.out = toString(field.text);
      if (Error err = checkDisplayText(*field.out, field.what, field.limit))
        return err;
    }
    if (const auto *sources = build->sources()) {
      if (sources->size() > 1024)
        return makeError("build: ", sources->size(), " source files (at most 1024)");
      for (uint32_t i = 0; i < sources->size(); ++i) {
        const auto *source = sources->Get(i);
        BuildInfo::Source s{toString(source->path()), toString(source->sha256())};
        std::string where = concat("build source ", i);
        if (Error err = checkDisplayText(s.path, where + " path", 4096))
          return err;
        if (Error err = checkDisplayText(s.sha256, where + " sha256", 64))
          return err;
        out.sources.push_back(std::move(s));
      }
    }
  }
  if (const auto *maps = fb->attention_maps()) {
    std::vector<bool> described(info.outputs.size(), false);
    for (uint32_t i = 0; i < maps->size(); ++i) {
      AttentionMapInfo map;
      if (Error err = validateAttentionMap(maps->Get(i), i, info.outputs, map))
        return err;
      if (described[map.output])
        return makeError("attention map ", i, ": output ", map.output, " is described twice");
      described[map.output] = true;
      info.attentionMaps.push_back(std::move(map));
    }
  }
  return info;
}

} // namespace tessera::runtime
