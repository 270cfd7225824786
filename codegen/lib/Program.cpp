#include "Program.h"

#include "BufferAccess.h"

#include "tessera/codegen/Passes.h"
#include "tessera/ir/GraphAttributes.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;

namespace tessera::codegen {

bool isBufferView(Operation *op) {
  return isa<memref::SubViewOp, memref::ExpandShapeOp, memref::CollapseShapeOp, memref::TransposeOp,
             memref::CastOp, memref::ReinterpretCastOp>(op);
}

Value bufferRoot(Value v, SmallVectorImpl<Operation *> *chain) {
  size_t first = chain ? chain->size() : 0;
  while (Operation *def = v.getDefiningOp()) {
    if (!isBufferView(def))
      break;
    if (chain)
      chain->push_back(def);
    v = def->getOperand(0);
  }
  if (chain)
    std::reverse(chain->begin() + first, chain->end());
  return v;
}

int64_t byteSize(MemRefType type) {
  return type.getNumElements() * int64_t(elementBytes(type.getElementType()));
}

uint64_t elementBytes(Type type) {
  unsigned bits = type.getIntOrFloatBitWidth();
  return bits <= 8 ? 1 : bits / 8;
}

namespace {

/// "file:line:col" of the first file location in `loc` (fusion keeps the first op's first).
std::string sourceLocation(Location loc) {
  std::string text;
  loc->walk([&](Location inner) {
    if (auto file = dyn_cast<FileLineColLoc>(inner)) {
      text = (file.getFilename().getValue() + ":" + Twine(file.getLine()) + ":" +
              Twine(file.getColumn()))
                 .str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return text;
}

/// "f32[1, 197, 768]", as the runtime prints tensor types.
std::string typeString(MemRefType type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  type.getElementType().print(os);
  os << "[";
  llvm::interleave(type.getShape(), os, ", ");
  os << "]";
  return text;
}

/// Whether the dispatch function may read / may write the buffer `arg` (through any view), from
/// the memory effects of the ops that use it; an op that declares none is taken to do both.
/// A read of what the dispatch itself wrote earlier still counts as a read.
std::pair<bool, bool> argumentAccess(func::FuncOp fn, Value arg) {
  bool read = false, written = false;
  fn.walk([&](Operation *op) {
    if (isBufferView(op) || op->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
      return;
    bool uses = llvm::any_of(op->getOperands(), [&](Value v) {
      return isa<MemRefType>(v.getType()) && bufferRoot(v) == arg;
    });
    if (!uses)
      return;
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    if (!effects) {
      // A destination-style op without declared effects reads its inputs and may read and
      // writes its inits; anything else may do both to every buffer it sees.
      auto dps = dyn_cast<DestinationStyleOpInterface>(op);
      for (OpOperand &operand : op->getOpOperands())
        if (isa<MemRefType>(operand.get().getType()) && bufferRoot(operand.get()) == arg) {
          read = true;
          written |= !dps || dps.isDpsInit(&operand);
        }
      return;
    }
    SmallVector<MemoryEffects::EffectInstance> instances;
    effects.getEffects(instances);
    for (const MemoryEffects::EffectInstance &effect : instances) {
      Value on = effect.getValue();
      if (on && (!isa<MemRefType>(on.getType()) || bufferRoot(on) != arg))
        continue;
      if (isa<MemoryEffects::Read>(effect.getEffect()))
        read = true;
      else if (isa<MemoryEffects::Write>(effect.getEffect()))
        written = true;
    }
  });
  return {read, written};
}

/// Whether the dispatch function views `arg` through a smaller static window before any loop
/// (the slice a concatenation writes): then it may leave the rest of the buffer as it was.
/// Windows inside loops are the workgroup tiling, which together cover the buffer.
bool writesPart(func::FuncOp fn, Value arg) {
  auto whole = cast<MemRefType>(arg.getType()).getNumElements();
  return llvm::any_of(fn.getBody().front(), [&](Operation &op) {
    if (!isBufferView(&op) || op.getNumResults() != 1 || op.getNumOperands() == 0 ||
        bufferRoot(op.getOperand(0)) != arg)
      return false;
    auto type = dyn_cast<MemRefType>(op.getResult(0).getType());
    return type && type.hasStaticShape() && type.getNumElements() < whole;
  });
}

/// The parameters a dispatch reads, each less its last component ("fc1.weight" and
/// "fc1.bias" are "fc1"), in binding order, without repeats: what a profile line points at.
std::string parameterPaths(const DispatchInfo &d, const ProgramInfo &program) {
  std::vector<std::string> paths;
  for (const BindingInfo &b : d.bindings) {
    if (b.kind != BufferKind::Constant || b.index >= program.constants.size())
      continue;
    int64_t parameter = program.constants[b.index].parameter;
    if (parameter < 0)
      continue;
    llvm::StringRef name = program.parameters[parameter].name;
    llvm::StringRef path = name.contains('.') ? name.rsplit('.').first : name;
    if (!llvm::is_contained(paths, path.str()))
      paths.push_back(path.str());
  }
  return llvm::join(paths, ", ");
}

/// Bytes from a memref's base pointer up to one past the last element it can address.
FailureOr<uint64_t> extentBytes(MemRefType type) {
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(getStridesAndOffset(type, strides, offset)) || ShapedType::isDynamic(offset))
    return failure();
  int64_t last = offset;
  for (auto [size, stride] : llvm::zip(type.getShape(), strides)) {
    if (ShapedType::isDynamic(stride) || ShapedType::isDynamic(size) || stride < 0)
      return failure();
    if (size == 0)
      return uint64_t(0);
    last += (size - 1) * stride;
  }
  return uint64_t(last + 1) * elementBytes(type.getElementType());
}

TensorInfo tensorInfo(std::string name, Type type) {
  auto shaped = cast<ShapedType>(type);
  return TensorInfo{std::move(name), shaped.getElementType(),
                    std::vector<int64_t>(shaped.getShape().begin(), shaped.getShape().end())};
}

} // namespace

FailureOr<ProgramInfo> extractProgram(ModuleOp module) {
  func::FuncOp graph;
  for (auto f : module.getOps<func::FuncOp>())
    if (!f->hasAttr(kDispatchAttr) && !f.isExternal()) {
      if (graph)
        return module.emitError("expected one graph function"), failure();
      graph = f;
    }
  if (!graph)
    return module.emitError("no graph function"), failure();

  ProgramInfo program;
  program.name = graph.getName().str();
  if (auto flags = module->getAttrOfType<StringAttr>(kPreprocessAttr))
    program.imageFlags = flags.str();
  if (auto size = graph->getAttrOfType<IntegerAttr>(kArenaSizeAttr))
    program.arenaSize = size.getInt();

  // Arguments: inputs, then parameters (tagged by mlirGen), then out-params.
  struct Root {
    BufferKind kind;
    uint32_t index;
  };
  DenseMap<Value, Root> roots;
  DenseMap<void *, SmallVector<uint32_t>> writers; // buffer value -> dispatches writing it
  llvm::StringMap<int64_t> parameterIndex;
  for (BlockArgument arg : graph.getArguments()) {
    unsigned i = arg.getArgNumber();
    if (auto name = graph.getArgAttrOfType<StringAttr>(i, kInputAttr)) {
      roots[arg] = {BufferKind::Input, uint32_t(program.inputs.size())};
      program.inputs.push_back(tensorInfo(name.str(), arg.getType()));
    } else if (auto name = graph.getArgAttrOfType<StringAttr>(i, kParamAttr)) {
      int64_t index = program.parameters.size();
      parameterIndex[name.getValue()] = index;
      program.parameters.push_back(tensorInfo(name.str(), arg.getType()));
      if (arg.use_empty())
        continue;
      roots[arg] = {BufferKind::Constant, uint32_t(program.constants.size())};
      program.constants.push_back({program.parameters.back(), {}, index, std::nullopt});
    } else if (auto packed = graph.getArgAttrOfType<DictionaryAttr>(i, kPackedAttr)) {
      auto param = packed.getAs<StringAttr>("param");
      auto shape = packed.getAs<DenseI64ArrayAttr>("shape");
      auto permutation = packed.getAs<DenseI64ArrayAttr>("permutation");
      auto panelDim = packed.getAs<IntegerAttr>("panel_dim");
      auto panel = packed.getAs<IntegerAttr>("panel");
      if (!param || !shape || !permutation || !panelDim || !panel ||
          !parameterIndex.count(param.getValue()))
        return graph.emitError("malformed ") << kPackedAttr << " argument", failure();
      if (arg.use_empty())
        continue;
      auto offset = packed.getAs<IntegerAttr>("offset");
      PackingInfo info{offset ? offset.getInt() : 0, shape.asArrayRef().vec(),
                       permutation.asArrayRef().vec(), panelDim.getInt(), panel.getInt()};
      roots[arg] = {BufferKind::Constant, uint32_t(program.constants.size())};
      program.constants.push_back({tensorInfo(param.str(), arg.getType()),
                                   {},
                                   parameterIndex[param.getValue()],
                                   std::move(info)});
    } else {
      auto name = graph.getArgAttrOfType<StringAttr>(i, kOutputAttr);
      if (!name)
        return graph.emitError("graph argument ") << i << " is no input, parameter or output",
               failure();
      roots[arg] = {BufferKind::Output, uint32_t(program.outputs.size())};
      program.outputs.push_back(tensorInfo(name.str(), arg.getType()));
    }
  }
  if (auto maps = graph->getAttrOfType<ArrayAttr>(kAttentionMapsAttr)) {
    for (auto map : maps.getAsRange<DictionaryAttr>()) {
      auto output = map.getAs<StringAttr>("output");
      auto layer = map.getAs<StringAttr>("layer");
      auto it = llvm::find_if(
          program.outputs, [&](const TensorInfo &t) { return output && t.name == output.str(); });
      if (!layer || it == program.outputs.end())
        return graph.emitError("malformed ") << kAttentionMapsAttr << " entry " << map, failure();
      AttentionMapInfo info{uint32_t(it - program.outputs.begin()), layer.str(), {}, {}};
      for (auto [key, grid] :
           {std::pair{"query_grid", &info.queryGrid}, std::pair{"key_grid", &info.keyGrid}}) {
        auto values = map.getAs<ArrayAttr>(key);
        if (!values)
          continue;
        if (values.size() != 3 || !llvm::all_of(values, llvm::IsaPred<IntegerAttr>))
          return graph.emitError("malformed ") << key << " in " << kAttentionMapsAttr, failure();
        std::array<int64_t, 3> g;
        for (size_t i = 0; i < 3; ++i)
          g[i] = cast<IntegerAttr>(values[i]).getInt();
        *grid = g;
      }
      program.attentionMaps.push_back(std::move(info));
    }
  }

  SymbolTable symbols(module);
  DenseMap<Operation *, uint32_t> globals;
  for (Operation &op : graph.getBody().front()) {
    if (auto get = dyn_cast<memref::GetGlobalOp>(op)) {
      auto global = symbols.lookup<memref::GlobalOp>(get.getName());
      auto value = global ? dyn_cast_or_null<DenseElementsAttr>(global.getConstantInitValue())
                          : DenseElementsAttr();
      if (!value)
        return get.emitError("global without a constant initializer"), failure();
      if (!globals.count(global)) {
        globals[global] = program.constants.size();
        program.constants.push_back(
            {tensorInfo("const." + get.getName().str(), get.getType()), value, -1, std::nullopt});
      }
      roots[get.getResult()] = {BufferKind::Constant, globals[global]};
      continue;
    }
    if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
      if (!alloc->hasAttr(kArenaOffsetAttr))
        return alloc.emitError("allocation without an arena offset"), failure();
      roots[alloc.getResult()] = {BufferKind::Arena, 0};
      continue;
    }
    auto call = dyn_cast<func::CallOp>(op);
    if (!call)
      continue;
    DispatchInfo d;
    d.function = call.getCallee().str();
    // "d<position>_<kind>": the kind is what follows the function's "d<N>_".
    llvm::StringRef kind = llvm::StringRef(d.function).split('_').second;
    d.name = "d" + std::to_string(program.dispatches.size()) + "_" + kind.str();
    // The dispatch function: its FLOPs and (when it has a body) how it uses its buffers.
    auto fn = symbols.lookup<func::FuncOp>(d.function);
    bool hasBody = fn && !fn.isExternal();
    if (fn)
      if (auto flops = fn->getAttrOfType<IntegerAttr>(kFlopsAttr))
        d.flops = flops.getValue().getZExtValue();
    SmallVector<Value> bindingRoots;
    for (Value v : call.getOperands()) {
      Value root = bufferRoot(v);
      bindingRoots.push_back(root);
      auto it = roots.find(root);
      if (it == roots.end())
        return call.emitError("cannot trace dispatch operand to a buffer"), failure();
      FailureOr<uint64_t> extent = extentBytes(cast<MemRefType>(v.getType()));
      if (failed(extent))
        return call.emitError("dispatch operand has a non-static layout"), failure();
      uint64_t base = 0;
      if (it->second.kind == BufferKind::Arena)
        base = root.getDefiningOp()->getAttrOfType<IntegerAttr>(kArenaOffsetAttr).getInt();
      d.bindings.push_back({it->second.kind, it->second.index, base, *extent, true, true,
                            typeString(cast<MemRefType>(v.getType()))});
    }
    if (hasBody)
      for (auto [i, binding] : llvm::enumerate(d.bindings)) {
        Value arg = fn.getArgument(i);
        std::tie(binding.read, binding.written) = argumentAccess(fn, arg);
      }
    // Data flow between dispatches, per buffer value (not arena bytes, which the memory plan
    // reuses): a dispatch depends on every earlier writer of a buffer it reads.
    uint32_t self = uint32_t(program.dispatches.size());
    for (auto [binding, root] : llvm::zip(d.bindings, bindingRoots))
      if (binding.read)
        for (uint32_t writer : writers[root.getAsOpaquePointer()])
          if (!llvm::is_contained(d.dependsOn, writer))
            d.dependsOn.push_back(writer);
    llvm::sort(d.dependsOn);
    // A dispatch that reads what it updates, or writes the whole buffer, leaves only its own
    // value; one writing part of a buffer (a concatenation) adds to the earlier writers.
    for (auto [i, binding, root] : llvm::enumerate(d.bindings, bindingRoots)) {
      if (!binding.written)
        continue;
      SmallVector<uint32_t> &list = writers[root.getAsOpaquePointer()];
      bool partial = !binding.read && hasBody && writesPart(fn, fn.getArgument(unsigned(i)));
      if (!partial)
        list.clear();
      if (!llvm::is_contained(list, self))
        list.push_back(self);
    }
    d.source = sourceLocation(call.getLoc());
    d.parameters = parameterPaths(d, program);
    program.dispatches.push_back(std::move(d));
  }

  graph.erase();
  for (auto [global, index] : globals)
    global->erase();
  return program;
}

void annotateNoAlias(ModuleOp module, const ProgramInfo &program) {
  // An argument is noalias when it overlaps no other argument in any call of the function.
  llvm::StringMap<std::vector<bool>> overlapping;
  for (const DispatchInfo &d : program.dispatches) {
    std::vector<bool> &flags = overlapping[d.function];
    flags.resize(d.bindings.size(), false);
    for (size_t i = 0; i < d.bindings.size(); ++i) {
      const BindingInfo &a = d.bindings[i];
      for (size_t j = 0; j < d.bindings.size(); ++j) {
        const BindingInfo &b = d.bindings[j];
        if (i == j || a.kind != b.kind || a.index != b.index)
          continue;
        if (a.offset < b.offset + b.length && b.offset < a.offset + a.length)
          flags[i] = true;
      }
    }
  }
  for (auto &[name, flags] : overlapping) {
    auto fn = module.lookupSymbol<func::FuncOp>(name);
    if (!fn)
      continue;
    for (size_t i = 0; i < flags.size(); ++i)
      if (!flags[i])
        fn.setArgAttr(i, "llvm.noalias", UnitAttr::get(module.getContext()));
  }
}

} // namespace tessera::codegen
