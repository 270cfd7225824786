// `dump`: a human-readable listing of a module, after the same validation as loading it.
#include "ArgParsing.h"
#include "AttentionMaps.h"
#include "Commands.h"
#include "DispatchGraph.h"

#include "tessera/Module.h"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace tessera::tools {
using namespace tessera::runtime;

namespace {

void printUsage(FILE *out, const char *progName) {
  std::fprintf(out,
               "usage: %s MODULE.tsm [--extract-executable N -o FILE] [--dot FILE]\n"
               "\n"
               "Prints a Tessera module: interface, constants, executables, arena and\n"
               "dispatches. The module is fully validated first.\n"
               "\n"
               "Bindings are kind[index]+offset:length, marked (w) when the dispatch writes\n"
               "the buffer without reading it, (rw) when it may do both, (-) for neither.\n"
               "\n"
               "options:\n"
               "  --extract-executable N  write executable N's code (shared object or PTX\n"
               "                          text) to the file given by -o instead of printing\n"
               "  -o FILE                 output file of --extract-executable\n"
               "  --dot FILE              write the dispatch graph for Graphviz instead ('-':\n"
               "                          stdout; render with dot -Tpng FILE -o graph.png):\n"
               "                          inputs, dispatches (parameters, DSL line, FLOPs),\n"
               "                          outputs, and which dispatches feed which;\n"
               "                          tessera bench --dot adds each dispatch's time\n"
               "  -h, --help              show this help\n",
               progName);
}

void printSpecs(const char *title, const std::vector<TensorSpec> &specs) {
  std::printf("%s: %zu\n", title, specs.size());
  for (size_t i = 0; i < specs.size(); ++i)
    std::printf("  %zu: %s %s\n", i, specs[i].name.c_str(), specs[i].typeString().c_str());
}

} // namespace

int dumpCommand(int argc, char **argv, const char *progName) {
  std::string path, outPath, dotPath;
  long extract = -1;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      printUsage(stdout, progName);
      return kExitSuccess;
    }
    if (arg == "--extract-executable" || arg == "-o" || arg == "--dot") {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s: %s needs a value\nTry '%s --help' for more information.\n",
                     progName, arg.c_str(), progName);
        return kExitUsage;
      }
      std::string v = argv[++i];
      if (arg == "-o" || arg == "--dot") {
        (arg == "-o" ? outPath : dotPath) = v;
        continue;
      }
      char *end = nullptr;
      extract = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end || extract < 0) {
        std::fprintf(stderr, "%s: --extract-executable needs an index, got '%s'\n", progName,
                     v.c_str());
        return kExitUsage;
      }
      continue;
    }
    if (arg.size() > 1 && arg[0] == '-') {
      std::fprintf(stderr, "%s: unknown option '%s'\nTry '%s --help' for more information.\n",
                   progName, arg.c_str(), progName);
      return kExitUsage;
    }
    if (!path.empty()) {
      std::fprintf(stderr, "%s: unexpected argument '%s' (only one module may be given)\n",
                   progName, arg.c_str());
      return kExitUsage;
    }
    path = arg;
  }
  if (path.empty()) {
    std::fprintf(stderr, "%s: no module given\nTry '%s --help' for more information.\n", progName,
                 progName);
    return kExitUsage;
  }

  Expected<std::shared_ptr<Module>> loaded = Module::loadFile(path);
  if (!loaded) {
    std::fprintf(stderr, "%s: error: %s\n", progName, loaded.error().message().c_str());
    return kExitFailure;
  }
  const Module &module = **loaded;
  const ModuleInfo &info = module.info();
  if (!dotPath.empty()) {
    if (extract >= 0 || !outPath.empty()) {
      std::fprintf(stderr, "%s: --dot and --extract-executable are separate jobs\n", progName);
      return kExitUsage;
    }
    if (Error err = writeDispatchGraph(dotPath, module)) {
      std::fprintf(stderr, "%s: error: %s\n", progName, err.message().c_str());
      return kExitFailure;
    }
    return kExitSuccess;
  }
  if (extract >= 0 || !outPath.empty()) {
    if (extract < 0 || outPath.empty()) {
      std::fprintf(stderr, "%s: --extract-executable and -o go together\n", progName);
      return kExitUsage;
    }
    if (size_t(extract) >= info.executables.size()) {
      std::fprintf(stderr, "%s: error: executable %ld out of range (the module has %zu)\n",
                   progName, extract, info.executables.size());
      return kExitFailure;
    }
    const ExecutableInfo &e = info.executables[size_t(extract)];
    // PTX is stored NUL-terminated for the driver; the file holds the text only.
    size_t size = e.format == ExecutableFormat::Ptx ? e.size - 1 : e.size;
    FILE *f = std::fopen(outPath.c_str(), "wb");
    bool ok = f && std::fwrite(e.data, 1, size, f) == size;
    if (f)
      ok = std::fclose(f) == 0 && ok;
    if (!ok) {
      std::fprintf(stderr, "%s: error: cannot write '%s'\n", progName, outPath.c_str());
      return kExitFailure;
    }
    return kExitSuccess;
  }
  std::printf("module: %s\n", info.name.c_str());
  std::printf("producer: %s\n", info.producer.empty() ? "(none)" : info.producer.c_str());
  std::printf("format version: %u\n", info.formatVersion);
  std::printf("size: %zu bytes, checksum 0x%08x\n", module.bufferSize(), info.checksum);
  for (const BuildInfo::Source &source : info.build.sources)
    std::printf("source: %s (sha256 %s)\n", source.path.c_str(), source.sha256.c_str());
  if (!info.build.config.empty())
    std::printf("config: %s\n", info.build.config.c_str());
  if (!info.build.options.empty())
    std::printf("options: %s\n", info.build.options.c_str());
  if (!info.build.weights.empty())
    std::printf("weights: %s\n", info.build.weights.c_str());
  printSpecs("inputs", info.inputs);
  printSpecs("outputs", info.outputs);
  if (!info.imageFlags.empty())
    std::printf("image flags (declared by the model): %s\n", info.imageFlags.c_str());
  if (!info.attentionMaps.empty()) {
    std::printf("attention maps: %zu\n", info.attentionMaps.size());
    for (const AttentionMapInfo &map : info.attentionMaps)
      std::printf("  %u: %s from %s: queries %s, keys %s\n", map.output,
                  info.outputs[map.output].name.c_str(), map.layer.c_str(),
                  describeGrid(map.queryGrid).c_str(), describeGrid(map.keyGrid).c_str());
  }

  std::printf("constants: %zu\n", info.constants.size());
  for (size_t i = 0; i < info.constants.size(); ++i) {
    const ConstantInfo &c = info.constants[i];
    std::printf("  %zu: %s %s %s", i, c.spec.name.c_str(), c.spec.typeString().c_str(),
                constantStorageName(c.storage));
    if (c.storage == ConstantStorage::SeededUniform)
      std::printf("(seed=%llu, low=%g, high=%g)", static_cast<unsigned long long>(c.seed), c.low,
                  c.high);
    if (c.packing)
      std::printf(" packed (%s)", describePacking(*c.packing).c_str());
    std::printf(" %llu bytes\n", static_cast<unsigned long long>(c.spec.byteSize));
  }

  std::printf("executables: %zu\n", info.executables.size());
  for (size_t i = 0; i < info.executables.size(); ++i) {
    const ExecutableInfo &e = info.executables[i];
    std::printf("  %zu: %s target=%s %zu bytes, %zu entry points:", i,
                executableFormatName(e.format), e.target.empty() ? "(none)" : e.target.c_str(),
                e.size, e.entryPoints.size());
    for (const std::string &name : e.entryPoints)
      std::printf(" %s", name.c_str());
    std::printf("\n");
    if (e.format != ExecutableFormat::Ptx)
      continue;
    std::printf("    kernels: %zu (grid x block threads, shared memory)\n", e.kernels.size());
    for (const GpuKernelInfo &k : e.kernels) {
      if (const auto &g = k.gemm) {
        std::printf("      %s: cuBLASLt matmul %lld x %lld x %lld, batch %lld, A%s=b%u+%lld "
                    "ld %lld, B%s=b%u+%lld ld %lld, D=b%u+%lld ld %lld, beta %g, %s\n",
                    e.entryPoints[k.entryPoint].c_str(), (long long)g->m, (long long)g->n,
                    (long long)g->k, (long long)g->batch, g->transposeA ? "^T" : "", g->aBinding,
                    (long long)g->aOffset, (long long)g->lda, g->transposeB ? "^T" : "",
                    g->bBinding, (long long)g->bOffset, (long long)g->ldb, g->dBinding,
                    (long long)g->dOffset, (long long)g->ldd, g->beta,
                    runtime::gemmComputeName(g->compute));
        continue;
      }
      std::printf("      %s: %s %u x %u, %u bytes\n", e.entryPoints[k.entryPoint].c_str(),
                  k.name.c_str(), k.gridSize, k.blockSize, k.sharedMemoryBytes);
    }
  }

  std::printf("arena: %llu bytes\n", static_cast<unsigned long long>(info.arenaSize));

  std::printf("dispatches: %zu\n", info.dispatches.size());
  for (size_t i = 0; i < info.dispatches.size(); ++i) {
    const DispatchInfo &d = info.dispatches[i];
    const ExecutableInfo &e = info.executables[d.executable];
    std::printf("  %zu: %s executable %u entry %u (%s) workgroups [%u, %u, %u]\n", i,
                d.name.empty() ? "(unnamed)" : d.name.c_str(), d.executable, d.entryPoint,
                e.entryPoints[d.entryPoint].c_str(), d.workgroupCount[0], d.workgroupCount[1],
                d.workgroupCount[2]);
    if (std::string origin = dispatchOrigin(d); !origin.empty())
      std::printf("     from: %s\n", origin.c_str());
    std::printf("     bindings:");
    if (d.bindings.empty())
      std::printf(" (none)");
    for (const BindingInfo &b : d.bindings)
      std::printf(" %s[%u]+%llu:%llu%s", bindingKindName(b.kind), b.index,
                  static_cast<unsigned long long>(b.offset),
                  static_cast<unsigned long long>(b.length),
                  !d.hasBindingAccess ? ""
                  : b.written         ? (b.read ? "(rw)" : "(w)")
                                      : (b.read ? "" : "(-)"));
    std::printf("\n");
    if (!d.bindings.empty() && !d.bindings[0].type.empty()) {
      std::printf("     types:");
      for (size_t b = 0; b < d.bindings.size(); ++b)
        std::printf("%s %s", b ? ";" : "", d.bindings[b].type.c_str());
      std::printf("\n");
    }
  }
  std::fflush(stdout);
  return kExitSuccess;
}

} // namespace tessera::tools
