#include "CpuCodegen.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;

namespace tessera::codegen {

namespace {
constexpr const char *kTriple = "x86_64-unknown-linux-gnu";

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Removes a temporary file when it goes out of scope.
struct TempFile {
  llvm::SmallString<128> path;
  ~TempFile() {
    if (!path.empty())
      llvm::sys::fs::remove(path);
  }
};
} // namespace

std::string hostTargetCpu() {
  const llvm::StringMap<bool> f = llvm::sys::getHostCPUFeatures();
  if (f.empty())
    return "x86-64";
  auto has = [&](const char *name) { return f.lookup(name); };
  bool v2 = has("cx16") && has("popcnt") && has("sse4.2") && has("ssse3") && has("sahf");
  bool v3 = v2 && has("avx") && has("avx2") && has("bmi") && has("bmi2") && has("f16c") &&
            has("fma") && has("lzcnt") && has("movbe") && has("xsave");
  bool v4 = v3 && has("avx512f") && has("avx512bw") && has("avx512cd") && has("avx512dq") &&
            has("avx512vl");
  return v4 ? "x86-64-v4" : v3 ? "x86-64-v3" : v2 ? "x86-64-v2" : "x86-64";
}

llvm::Error addEntryPoints(ModuleOp module, const std::vector<std::string> &dispatches) {
  MLIRContext *ctx = module.getContext();
  OpBuilder b(ctx);
  b.setInsertionPointToEnd(module.getBody());
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto i64 = IntegerType::get(ctx, 64);
  auto entryType = LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), {ptr, i64, i64});
  for (const std::string &name : dispatches) {
    auto inner = module.lookupSymbol<LLVM::LLVMFuncOp>(name);
    if (!inner)
      return makeError("dispatch function '" + name + "' was not lowered to LLVM");
    unsigned numArgs = inner.getNumArguments();
    if (numArgs < 2)
      return makeError("dispatch function '" + name + "' lacks workgroup arguments");
    inner.setLinkage(LLVM::Linkage::Internal);
    Location loc = inner.getLoc();
    auto entry = b.create<LLVM::LLVMFuncOp>(loc, entryPointName(name), entryType);
    Block *block = entry.addEntryBlock(b);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(block);
    SmallVector<Value> args;
    for (unsigned i = 0; i + 2 < numArgs; ++i) {
      Value slot = b.create<LLVM::GEPOp>(loc, ptr, ptr, block->getArgument(0),
                                         ArrayRef<LLVM::GEPArg>{int32_t(i)});
      args.push_back(b.create<LLVM::LoadOp>(loc, ptr, slot));
    }
    args.push_back(block->getArgument(1));
    args.push_back(block->getArgument(2));
    b.create<LLVM::CallOp>(loc, inner, args);
    b.create<LLVM::ReturnOp>(loc, ValueRange{});
    b.setInsertionPointToEnd(module.getBody());
  }
  return llvm::Error::success();
}

namespace {

llvm::Expected<std::unique_ptr<llvm::TargetMachine>> createTargetMachine(const std::string &cpu) {
  static bool initialized = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)initialized;
  std::string error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(kTriple, error);
  if (!target)
    return makeError("no x86-64 LLVM target: " + error);
  // LLVM accepts unknown CPU names with a warning on stderr for every subtarget it makes; ask
  // a generic subtarget whether the name is known before making one with it.
  std::unique_ptr<llvm::MCSubtargetInfo> generic(target->createMCSubtargetInfo(kTriple, "", ""));
  if (!generic || !generic->isCPUStringValid(cpu))
    return makeError("unknown target CPU '" + cpu +
                     "' (LLVM x86-64 names such as x86-64-v3, "
                     "skylake-avx512, znver4)");
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> tm(
      target->createTargetMachine(kTriple, cpu, "", options, llvm::Reloc::PIC_, std::nullopt,
                                  llvm::CodeGenOptLevel::Aggressive));
  if (!tm)
    return makeError("cannot create a target machine for CPU '" + cpu + "'");
  return tm;
}

} // namespace

llvm::Expected<unsigned> targetVectorBits(const std::string &cpu) {
  auto tm = createTargetMachine(cpu);
  if (!tm)
    return tm.takeError();
  const llvm::MCSubtargetInfo *sti = (*tm)->getMCSubtargetInfo();
  if (sti->checkFeatures("+avx512f"))
    return 512u;
  if (sti->checkFeatures("+avx2"))
    return 256u;
  return 128u;
}

namespace {

void optimize(llvm::Module &module, llvm::TargetMachine &tm) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = true;
  tuning.SLPVectorization = true;
  llvm::PassBuilder pb(&tm, tuning);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  mpm.run(module, mam);
}

llvm::Expected<std::string> findLinker() {
  for (const char *candidate : {"/usr/lib/llvm-19/bin/ld.lld", "ld.lld-19", "ld.lld"}) {
    if (llvm::sys::fs::can_execute(candidate))
      return std::string(candidate);
    if (auto found = llvm::sys::findProgramByName(candidate))
      return *found;
  }
  return makeError("no ld.lld found (install lld-19): it links the CPU executable");
}

} // namespace

llvm::Expected<std::vector<uint8_t>> emitSharedObject(ModuleOp module,
                                                      const std::string &targetCpu) {
  auto tm = createTargetMachine(targetCpu);
  if (!tm)
    return tm.takeError();

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule = translateModuleToLLVMIR(module, llvmContext);
  if (!llvmModule)
    return makeError("translation of the LLVM dialect to LLVM IR failed");
  llvmModule->setTargetTriple(kTriple);
  llvmModule->setDataLayout((*tm)->createDataLayout());
  optimize(*llvmModule, **tm);

  llvm::SmallVector<char, 0> object;
  {
    llvm::raw_svector_ostream os(object);
    llvm::legacy::PassManager pm;
    if ((*tm)->addPassesToEmitFile(pm, os, nullptr, llvm::CodeGenFileType::ObjectFile))
      return makeError("the target cannot emit object files");
    pm.run(*llvmModule);
  }

  TempFile objectFile, sharedFile;
  int fd;
  if (auto ec = llvm::sys::fs::createTemporaryFile("tessera", "o", fd, objectFile.path))
    return makeError("cannot create a temporary file: " + ec.message());
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os.write(object.data(), object.size());
  }
  if (auto ec = llvm::sys::fs::createTemporaryFile("tessera", "so", sharedFile.path))
    return makeError("cannot create a temporary file: " + ec.message());

  auto linker = findLinker();
  if (!linker)
    return linker.takeError();
  // libm provides the scalar math functions (erff, tanhf, expf) the kernels call.
  std::vector<llvm::StringRef> args = {
      *linker,        "-shared", "--as-needed",       "-z", "noexecstack",
      "-z",           "now",     "--hash-style=both", "-o", sharedFile.path,
      objectFile.path};
  for (const char *lib : {"/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6"})
    if (llvm::sys::fs::exists(lib)) {
      args.push_back(lib);
      break;
    }
  std::string errorMessage;
  TempFile logFile;
  llvm::sys::fs::createTemporaryFile("tessera-ld", "log", logFile.path);
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, logFile.path.str(),
                                                logFile.path.str()};
  int rc = llvm::sys::ExecuteAndWait(*linker, args, std::nullopt, redirects, 120, 0, &errorMessage);
  if (rc != 0) {
    std::string log;
    if (auto buf = llvm::MemoryBuffer::getFile(logFile.path))
      log = (*buf)->getBuffer().str();
    return makeError("linking the CPU executable failed (" + *linker +
                     "): " + (errorMessage.empty() ? log : errorMessage));
  }
  auto buffer = llvm::MemoryBuffer::getFile(sharedFile.path);
  if (!buffer)
    return makeError("cannot read the linked executable: " + buffer.getError().message());
  const auto *data = reinterpret_cast<const uint8_t *>((*buffer)->getBufferStart());
  return std::vector<uint8_t>(data, data + (*buffer)->getBufferSize());
}

} // namespace tessera::codegen
