#include "Options.h"

#include "tessera/Limits.h"

#include "llvm/ADT/StringExtras.h"

#include <algorithm>

#include <cerrno>
#include <cstdlib>
#include <iostream>

namespace tessera::tools {

namespace {

bool startsWith(const std::string &s, const char *prefix) { return s.rfind(prefix, 0) == 0; }

bool usage(const char *progName, const std::string &message) {
  std::cerr << progName << ": " << message << "\n(see " << progName << " --help)\n";
  return false;
}

} // namespace

std::string driverFlagsHelp(bool forOpt) {
  std::string passes = llvm::join(codegen::optionalPasses(), ", ");
  std::string configurable = llvm::join(codegen::configurablePasses(), ", ");
  std::string s = "  -D NAME=VALUE            override a config constant of the file (repeatable)\n"
                  "  --graph NAME             graph to build when the file has several\n";
  if (forOpt)
    s += "  --compile-to PHASE       stop after PHASE and print its IR: tess, linalg, dispatch,\n"
         "                           llvm (default llvm)\n"
         "  --dot FILE               compile the whole pipeline and write the dispatch graph\n"
         "                           for Graphviz instead of IR (as tessera dump --dot; - is\n"
         "                           stdout)\n"
         "  -o FILE                  write the IR to FILE instead of stdout\n"
         "  --print-pipeline         also print to stderr the passes up to PHASE (linalg or\n"
         "                           dispatch) with all their options, as the pipeline that\n"
         "                           tessera-opt --pass-pipeline=... runs on the tess IR\n";
  else
    s += "  -o FILE                  the module to write (required)\n"
         "  --weights FILE           bind parameters by name from a .safetensors file; without\n"
         "                           it parameters get a seeded deterministic fill\n"
         "  --allow-unused-weights   ignore tensors in the weights file that no parameter uses\n"
         "  --seed N                 seed of the deterministic fill (default 132470394)\n"
         "  --target LIST            targets of the module: cpu (default), cuda, or cpu,cuda\n"
         "                           (runs on either; its CPU code then skips the packed\n"
         "                           contraction kernels)\n"
         "                           cuda-emulator: the CUDA kernels compiled for this CPU,\n"
         "                           one thread after another (slow; checks the GPU lowering)\n"
         "  --cuda-arch ARCH         CUDA architecture of the PTX: sm_90 (default), sm_80\n"
         "  --cuda-path DIR          CUDA toolkit with nvvm/libdevice (default: $CUDA_PATH,\n"
         "                           else /usr/local/cuda)\n"
         "  --precision P            matrix products on the GPU: f32 (default, exact fp32),\n"
         "                           tf32 or bf16 (tensor cores: inputs rounded to 10 or 7\n"
         "                           mantissa bits, fp32 sums; relative error within 2e-3 /\n"
         "                           1.6e-2); CPU code and generated kernels stay fp32\n";
  s += "  --expose-attention       also return every fused attention's probabilities, as\n"
       "                           outputs attention:LAYER [B.., queries, keys] (pictures:\n"
       "                           tessera run --attention-maps DIR)\n";
  s += "  --max-memory SIZE        the largest tensor the graph may hold (e.g. 8G, 512M; default\n"
       "                           and maximum 1T); a larger one is an error at its line\n";
  s += "  --target-cpu NAME        LLVM CPU name (default: best x86-64 level of this machine);\n"
       "                           kernel shapes follow its vector registers\n"
       "  --disable-pass NAME      skip an optional pass: " +
       passes +
       "\n"
       "  --pass-option NAME:OPT=V set an option of pass NAME (repeatable), e.g.\n"
       "                           tessera-tile-lambda:query-tile=8; configurable: " +
       configurable +
       "\n"
       "  --print-ir-after-all     print the IR after every pass (to stderr)\n"
       "  --print-ir-before NAME   print the IR before pass NAME (repeatable)\n"
       "  --print-ir-after NAME    print the IR after pass NAME (repeatable)\n"
       "  --pass-statistics        print pass statistics\n"
       "  --timing                 print pass timing\n"
       "  -h, --help               show this help\n";
  return s;
}

std::optional<DriverOptions> parseDriverOptions(int argc, char **argv, const char *progName,
                                                bool forOpt) {
  DriverOptions o;
  std::vector<std::string> args(argv, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    // --flag=value and --flag value are both accepted; -DNAME=V and -D NAME=V too.
    std::string value;
    bool hasInlineValue = false;
    if (startsWith(a, "--")) {
      size_t eq = a.find('=');
      if (eq != std::string::npos) {
        value = a.substr(eq + 1);
        a = a.substr(0, eq);
        hasInlineValue = true;
      }
    }
    auto takeValue = [&](const std::string &flag) -> std::optional<std::string> {
      if (hasInlineValue)
        return value;
      if (i + 1 >= args.size()) {
        usage(progName, flag + " needs a value");
        return std::nullopt;
      }
      return args[++i];
    };
    if (a == "-h" || a == "--help") {
      o.help = true;
      return o;
    }
    if (startsWith(a, "-D")) {
      std::string kv = a.size() > 2 ? a.substr(2) : "";
      if (kv.empty()) {
        if (i + 1 >= args.size()) {
          usage(progName, "-D needs NAME=VALUE");
          return std::nullopt;
        }
        kv = args[++i];
      }
      size_t eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) {
        usage(progName, "-D needs NAME=VALUE, got '" + kv + "'");
        return std::nullopt;
      }
      o.gen.configOverrides[kv.substr(0, eq)] = kv.substr(eq + 1);
    } else if (a == "-o") {
      if (i + 1 >= args.size()) {
        usage(progName, "-o needs a file name");
        return std::nullopt;
      }
      if (!o.output.empty()) {
        usage(progName, "-o given twice ('" + o.output + "' and '" + args[i + 1] + "')");
        return std::nullopt;
      }
      o.output = args[++i];
      if (o.output.empty()) {
        usage(progName, "-o needs a file name");
        return std::nullopt;
      }
    } else if (a == "--max-memory") {
      auto v = takeValue(a);
      if (!v)
        return std::nullopt;
      std::optional<uint64_t> bytes = limits::parseMemorySize(*v);
      if (!bytes) {
        usage(progName,
              "--max-memory wants a size such as 8G, 512M or a number of bytes, got '" + *v + "'");
        return std::nullopt;
      }
      o.gen.maxTensorBytes = std::min(*bytes, limits::kMaxTensorBytes);
    } else if (a == "--graph") {
      auto v = takeValue(a);
      if (!v)
        return std::nullopt;
      o.gen.graphName = *v;
    } else if (!forOpt && a == "--weights") {
      auto v = takeValue(a);
      if (!v)
        return std::nullopt;
      o.compile.weightsPath = *v;
    } else if (a == "--expose-attention" && !hasInlineValue) {
      o.compile.exposeAttention = true;
    } else if (!forOpt && a == "--allow-unused-weights" && !hasInlineValue) {
      o.compile.allowUnusedWeights = true;
    } else if (!forOpt && a == "--seed") {
      auto v = takeValue(a);
      if (!v)
        return std::nullopt;
      char *end = nullptr;
      errno = 0;
      unsigned long long seed = std::strtoull(v->c_str(), &end, 0);
      if (v->empty() || *end || errno || (*v)[0] == '-') {
        usage(progName, "--seed needs a non-negative integer, got '" + *v + "'");
        return std::nullopt;
      }
      o.compile.seed = seed;
    } else if (!forOpt && a == "--target") {
      auto v = takeValue(a);
      if (!v)
        return std::nullopt;
      std::vector<std::string> targets;
      for (llvm::StringRef t : llvm::split(*v, ',')) {
        if (t != "cpu" && t != "cuda" && t != "cuda-emulator") {
          usage(progName, "--target: unknown target '" + t.str() + "' (targets: cpu, cuda, or " +
                              "both as cpu,cuda; cuda-emulator)");
          return std::nullopt;
        }
        if (llvm::is_contained(targets, t.str())) {
          usage(progName, "--target: '" + t.str() + "' given twice");
          return std::nullopt;
        }
        targets.push_back(t.str());
      }
      o.compile.targets = targets;
    } else if (!forOpt && a == "--cuda-arch") {
      auto v = takeValue(a);
      if (!v)
        return std::nullopt;
      if (*v != "sm_80" && *v != "sm_90") {
        usage(progName, "--cuda-arch: '" + *v + "' is not supported (sm_80, sm_90)");
        return std::nullopt;
      }
      o.compile.cudaArch = *v;
    } else if (!forOpt && a == "--precision") {
      auto v = takeValue(a);
      if (!v)
        return std::nullopt;
      if (*v != "f32" && *v != "tf32" && *v != "bf16") {
        usage(progName, "--precision: '" + *v + "' is not f32, tf32 or bf16");
        return std::nullopt;
      }
      o.compile.precision = *v;
    } else if (!forOpt && a == "--cuda-path") {
      auto v = takeValue(a);
      if (!v)
        return std::nullopt;
      o.compile.cudaPath = *v;
    } else if (a == "--target-cpu") {
      auto v = takeValue(a);
      if (!v)
        return std::nullopt;
      o.compile.targetCpu = *v;
    } else if (forOpt && a == "--dot") {
      auto v = takeValue(a);
      if (!v)
        return std::nullopt;
      if (v->empty()) {
        usage(progName, "--dot needs a file (or - for stdout)");
        return std::nullopt;
      }
      o.dotPath = *v;
    } else if (forOpt && a == "--print-pipeline") {
      o.printPipeline = true;
    } else if (forOpt && a == "--compile-to") {
      auto v = takeValue(a);
      if (!v)
        return std::nullopt;
      o.compileToGiven = true;
      if (*v == "tess")
        o.compileTo = codegen::Phase::Tess;
      else if (*v == "linalg")
        o.compileTo = codegen::Phase::Linalg;
      else if (*v == "dispatch")
        o.compileTo = codegen::Phase::Dispatch;
      else if (*v == "llvm")
        o.compileTo = codegen::Phase::LLVM;
      else {
        usage(progName, "--compile-to must be tess, linalg, dispatch or llvm, got '" + *v + "'");
        return std::nullopt;
      }
    } else if (a == "--disable-pass") {
      auto v = takeValue(a);
      if (!v)
        return std::nullopt;
      bool known = false;
      for (const std::string &p : codegen::optionalPasses())
        known |= p == *v;
      if (!known) {
        usage(progName, "--disable-pass: '" + *v + "' is not an optional pass");
        return std::nullopt;
      }
      o.compile.disabledPasses.insert(*v);
    } else if (a == "--pass-option") {
      auto v = takeValue(a);
      if (!v)
        return std::nullopt;
      size_t colon = v->find(':');
      if (colon == std::string::npos || colon == 0 || v->find('=', colon) == std::string::npos) {
        usage(progName, "--pass-option wants NAME:OPTION=VALUE, got '" + *v + "'");
        return std::nullopt;
      }
      std::string &text = o.compile.passOptions[v->substr(0, colon)];
      text += (text.empty() ? "" : " ") + v->substr(colon + 1);
    } else if (a == "--print-ir-after-all" && !hasInlineValue) {
      o.compile.printIRAfterAll = true;
    } else if (a == "--print-ir-before" || a == "--print-ir-after") {
      auto v = takeValue(a);
      if (!v)
        return std::nullopt;
      (a == "--print-ir-before" ? o.compile.printIRBefore : o.compile.printIRAfter).insert(*v);
    } else if (a == "--pass-statistics" && !hasInlineValue) {
      o.compile.passStatistics = true;
    } else if (a == "--timing" && !hasInlineValue) {
      o.compile.timing = true;
    } else if (startsWith(a, "-") && a != "-") {
      usage(progName, "unknown option '" + args[i] + "'");
      return std::nullopt;
    } else if (o.input.empty()) {
      o.input = a;
    } else {
      usage(progName, "more than one input file ('" + o.input + "' and '" + a + "')");
      return std::nullopt;
    }
  }
  if (o.input.empty()) {
    usage(progName, "no input file");
    return std::nullopt;
  }
  if (!forOpt && o.output.empty()) {
    usage(progName, "no output file: pass -o FILE.tsm");
    return std::nullopt;
  }
  if (!o.dotPath.empty() && (o.compileToGiven || !o.output.empty())) {
    usage(progName, "--dot compiles the whole pipeline and writes the dispatch graph; it takes "
                    "neither --compile-to nor -o");
    return std::nullopt;
  }
  return o;
}

} // namespace tessera::tools
