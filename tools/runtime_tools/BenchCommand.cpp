// `bench`: latency percentiles, throughput and per-dispatch efficiency of a module, against
// the fp32 FMA peak of this machine measured in the same run.
#include "ArgParsing.h"
#include "Commands.h"
#include "DispatchGraph.h"
#include "ImageFlags.h"
#include "InputBinding.h"

#include "tessera/FmaPeak.h"
#include "tessera/Json.h"
#include "tessera/Module.h"
#include "tessera/Session.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

namespace tessera::tools {
using namespace tessera::runtime;

namespace {

void printUsage(FILE *out, const char *progName) {
  std::fprintf(
      out,
      "usage: %s MODULE.tsm [--input NAME=FILE.npy ...] [options]\n"
      "\n"
      "Benchmarks a compiled Tessera module: warm-up runs, then timed runs one at a\n"
      "time. Reports latency (min, median, p90, mean), throughput, the model's GFLOP\n"
      "count and achieved GFLOP/s, and a per-dispatch table (share of the time,\n"
      "GFLOP/s, percent of this machine's fp32 FMA peak, measured in the same run).\n"
      "\n"
      "options:\n"
      "  --input NAME=FILE        value of input NAME, a .npy or (f32 inputs) a PNG or\n"
      "                           JPEG image; inputs not given get deterministic\n"
      "                           random values (f32 in [0, 1))\n"
      "  --device cpu|cuda[:N]    where to run (default cpu); on cuda every dispatch is\n"
      "                           synchronized to time it, and no CPU peak is measured\n"
      "  --cuda-graph             on cuda, time whole runs as one CUDA graph launch\n"
      "                           (the per-dispatch times still launch one by one)\n"
      "  --max-memory SIZE        the most memory the module may ask for (arena, generated\n"
      "                           constants, inputs, outputs; default: half of this\n"
      "                           machine's memory), e.g. 8G\n"
      "  --threads N              threads running workgroups (default: all cores)\n"
      "  --iterations N           timed runs (default 10)\n"
      "  --warmup N               untimed runs first (default 2)\n"
      "  --top N                  dispatches listed, slowest first (default 15;\n"
      "                           0 lists all)\n"
      "  --no-peak                skip measuring the FMA peak (no percentages)\n"
      "  --json                   one JSON object on stdout instead of text\n"
      "  --dot FILE               also write the dispatch graph for Graphviz with\n"
      "                           each dispatch's median time and share of the run\n"
      "  -h, --help               show this help\n"
      "\n%s",
      progName, ImageFlags::help());
}

struct Options {
  std::string modulePath;
  std::vector<std::pair<std::string, std::string>> inputs;
  unsigned threads = 0;
  SessionOptions session;
  int64_t iterations = 10;
  int64_t warmup = 2;
  int64_t top = 15;
  bool peak = true;
  bool json = false;
  std::string dotPath;
  ImageFlags images;
};

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
    if (args.matchValue(arg, "--input", value, missing)) {
      std::pair<std::string, std::string> binding;
      if (missing || !splitBinding(value, binding))
        return usageError(progName, "--input expects NAME=FILE (.npy, .png or .jpg)");
      options.inputs.push_back(binding);
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
      std::optional<int64_t> n = missing ? std::nullopt : parseInteger(value, 1, 1000000);
      if (!n)
        return usageError(progName, "--iterations expects an integer between 1 and 1000000");
      options.iterations = *n;
    } else if (args.matchValue(arg, "--warmup", value, missing)) {
      std::optional<int64_t> n = missing ? std::nullopt : parseInteger(value, 0, 1000000);
      if (!n)
        return usageError(progName, "--warmup expects an integer between 0 and 1000000");
      options.warmup = *n;
    } else if (args.matchValue(arg, "--top", value, missing)) {
      std::optional<int64_t> n = missing ? std::nullopt : parseInteger(value, 0, 1000000000);
      if (!n)
        return usageError(progName, "--top expects a non-negative integer");
      options.top = *n;
    } else if (arg == "--no-peak") {
      options.peak = false;
    } else if (arg == "--json") {
      options.json = true;
    } else if (args.matchValue(arg, "--dot", value, missing)) {
      if (missing || value.empty())
        return usageError(progName, "--dot expects a file name ('-' for stdout)");
      options.dotPath = value;
    } else if (int parsed = options.images.parse(args, arg, value); parsed != 0) {
      if (parsed < 0)
        return usageError(progName, value);
    } else if (int code = moduleArgument(progName, arg, options.modulePath); code >= 0) {
      return code;
    }
  }
  if (options.modulePath.empty())
    return usageError(progName, "no module given");
  if (options.json && options.dotPath == "-")
    return usageError(progName, "--json and --dot - would both write to stdout; give --dot a "
                                "file");
  return -1;
}

/// The q-quantile (0..1) of sorted values, by linear interpolation.
double quantile(const std::vector<double> &sorted, double q) {
  if (sorted.empty())
    return 0;
  double pos = q * double(sorted.size() - 1);
  size_t lo = size_t(pos), hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - double(lo));
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return quantile(values, 0.5);
}

} // namespace

int benchCommand(int argc, char **argv, const char *progName) {
  Options options;
  if (int code = parseOptions(argc, argv, progName, options); code >= 0)
    return code;

  Expected<std::shared_ptr<Module>> module = Module::loadFile(options.modulePath);
  if (!module)
    return failure(progName, module.error().message());
  std::vector<std::string> paths;
  std::string problem = bindInputPaths(**module, options.inputs, /*allowMissing=*/true, paths);
  if (!problem.empty())
    return usageError(progName, problem);
  const std::vector<TensorSpec> &specs = (*module)->inputs();
  Expected<ImageFlags> images = moduleImageFlags(**module, options.images);
  if (!images)
    return failure(progName, images.error().message());
  // Output-scoped flags (a model's declared output range) are allowed; bench writes no images.
  std::vector<std::string> tensorNames;
  for (const std::vector<TensorSpec> *list : {&specs, &(*module)->outputs()})
    for (const TensorSpec &spec : *list)
      tensorNames.push_back(spec.name);
  for (const std::string &name : images->unknownNames(tensorNames))
    return usageError(progName,
                      concat("an image flag names '", name, "', which is no input or output; ",
                             listSpecs("input", specs)));
  std::vector<Tensor> inputs;
  std::vector<TensorRef> refs;
  for (size_t i = 0; i < specs.size(); ++i) {
    Expected<Tensor> t = paths[i].empty() ? randomInput(specs[i], 0x5eed + i)
                                          : readInput(specs[i], paths[i], &*images);
    if (!t)
      return failure(progName, t.error().message());
    inputs.push_back(t.takeValue());
  }
  for (const Tensor &t : inputs)
    refs.push_back(t.ref());

  SessionOptions sessionOptions = options.session;
  sessionOptions.threads = options.threads;
  Expected<std::unique_ptr<Session>> session = Session::create(*module, sessionOptions);
  if (!session)
    return failure(progName, session.error().message());
  unsigned threads = (*session)->numThreads();
  std::vector<Tensor> outputs;
  std::vector<MutableTensorRef> outRefs;
  for (const TensorSpec &spec : (*module)->outputs()) {
    Expected<Tensor> t = Tensor::zeros(spec.dtype, spec.shape);
    if (!t)
      return failure(progName, t.error().message());
    outputs.push_back(t.takeValue());
  }
  for (Tensor &t : outputs)
    outRefs.push_back(t.mutableRef());

  FmaPeak peak;
  // The CPU's FMA peak says nothing about a GPU's.
  if (options.session.device == Device::Cuda)
    options.peak = false;
  if (options.peak)
    peak = measureFmaPeak(threads);

  for (int64_t i = 0; i < options.warmup; ++i)
    if (Error err = (*session)->run(refs, outRefs))
      return failure(progName, err.message());
  const std::vector<DispatchInfo> &dispatches = (*module)->dispatches();
  std::vector<double> latencies;
  std::vector<std::vector<double>> perDispatch(dispatches.size());
  std::vector<double> millis;
  // Timing a GPU dispatch means waiting for it, which would add a round trip per dispatch to
  // the latency: there the timed runs are plain, and a few more runs time the dispatches.
  bool gpu = (*session)->device() == Device::Cuda;
  for (int64_t i = 0; i < options.iterations; ++i) {
    auto start = std::chrono::steady_clock::now();
    Error err = (*session)->run(refs, outRefs, gpu ? nullptr : &millis);
    auto stop = std::chrono::steady_clock::now();
    if (err)
      return failure(progName, err.message());
    latencies.push_back(std::chrono::duration<double, std::milli>(stop - start).count());
    if (!gpu)
      for (size_t d = 0; d < dispatches.size(); ++d)
        perDispatch[d].push_back(millis[d]);
  }
  for (int64_t i = 0; gpu && i < std::min<int64_t>(options.iterations, 3); ++i) {
    if (Error err = (*session)->run(refs, outRefs, &millis))
      return failure(progName, err.message());
    for (size_t d = 0; d < dispatches.size(); ++d)
      perDispatch[d].push_back(millis[d]);
  }

  std::vector<double> sorted = latencies;
  std::sort(sorted.begin(), sorted.end());
  double minMs = sorted.front(), medMs = quantile(sorted, 0.5), p90Ms = quantile(sorted, 0.9);
  double meanMs = std::accumulate(sorted.begin(), sorted.end(), 0.0) / double(sorted.size());
  uint64_t flops = 0;
  for (const DispatchInfo &d : dispatches)
    flops += d.flops;
  double gflop = double(flops) / 1e9;
  double gflops = medMs > 0 ? gflop / (medMs / 1e3) : 0;
  auto percent = [&](double rate) { return peak.gflops > 0 ? 100.0 * rate / peak.gflops : 0.0; };

  struct Row {
    size_t index;
    double ms, gflops;
  };
  std::vector<Row> rows;
  double dispatchTotal = 0;
  for (size_t d = 0; d < dispatches.size(); ++d) {
    double ms = median(perDispatch[d]);
    dispatchTotal += ms;
    rows.push_back({d, ms, ms > 0 ? double(dispatches[d].flops) / 1e9 / (ms / 1e3) : 0});
  }
  if (!options.dotPath.empty()) {
    std::vector<double> medians;
    for (const Row &r : rows)
      medians.push_back(r.ms);
    if (Error err = writeDispatchGraph(options.dotPath, **module, &medians))
      return failure(progName, err.message());
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row &a, const Row &b) { return a.ms > b.ms; });
  size_t shown = options.top == 0 ? rows.size() : std::min<size_t>(rows.size(), options.top);

  if (options.json) {
    std::printf("{\"module\": %s, \"device\": %s, \"threads\": %u, ",
                jsonQuoted((*module)->name()).c_str(), jsonQuoted((*session)->deviceName()).c_str(),
                threads);
    if (options.peak)
      std::printf("\"peak_gflops\": %.3f, \"peak_vector_bits\": %u, ", peak.gflops,
                  peak.vectorBits);
    std::printf("\"warmup\": %lld, \"iterations\": %lld, \"latency_ms\": {\"min\": %.4f, "
                "\"median\": %.4f, \"p90\": %.4f, \"mean\": %.4f}, \"runs_ms\": [",
                static_cast<long long>(options.warmup), static_cast<long long>(options.iterations),
                minMs, medMs, p90Ms, meanMs);
    for (size_t i = 0; i < latencies.size(); ++i)
      std::printf("%s%.4f", i ? ", " : "", latencies[i]);
    std::printf("], \"throughput_per_s\": %.4f, \"gflop\": %.6f, \"gflops\": %.3f, "
                "\"dispatches\": [",
                medMs > 0 ? 1e3 / medMs : 0.0, gflop, gflops);
    for (size_t i = 0; i < rows.size(); ++i) {
      const Row &r = rows[i];
      std::printf("%s{\"name\": %s, \"source\": %s, \"parameters\": %s, \"median_ms\": %.5f, "
                  "\"share\": %.5f, \"flops\": %llu, \"gflops\": %.3f",
                  i ? ", " : "", jsonQuoted(dispatches[r.index].name).c_str(),
                  jsonQuoted(dispatches[r.index].source).c_str(),
                  jsonQuoted(dispatches[r.index].parameters).c_str(), r.ms,
                  dispatchTotal > 0 ? r.ms / dispatchTotal : 0.0,
                  static_cast<unsigned long long>(dispatches[r.index].flops), r.gflops);
      if (options.peak)
        std::printf(", \"percent_of_peak\": %.2f", percent(r.gflops));
      std::printf("}");
    }
    std::printf("]}\n");
    std::fflush(stdout);
    return kExitSuccess;
  }

  if ((*session)->device() == Device::Cuda)
    std::printf("module: %s (%s), %s\n", (*module)->name().c_str(), options.modulePath.c_str(),
                (*session)->deviceName().c_str());
  else
    std::printf("module: %s (%s), %u threads\n", (*module)->name().c_str(),
                options.modulePath.c_str(), threads);
  if (options.peak)
    std::printf("peak: %.1f GFLOP/s fp32 FMA (%u-bit vectors, %u threads, measured now)\n",
                peak.gflops, peak.vectorBits, threads);
  std::printf("runs: %lld warm-up, %lld timed\n", static_cast<long long>(options.warmup),
              static_cast<long long>(options.iterations));
  std::printf("latency: min %.3f ms, median %.3f ms, p90 %.3f ms, mean %.3f ms\n", minMs, medMs,
              p90Ms, meanMs);
  std::printf("throughput: %.2f runs/s\n", medMs > 0 ? 1e3 / medMs : 0.0);
  std::printf("work: %.3f GFLOP per run, %.1f GFLOP/s at the median", gflop, gflops);
  if (options.peak)
    std::printf(" (%.1f %% of peak)", percent(gflops));
  std::printf("\n\ndispatches: %zu (medians; %zu slowest shown)\n", dispatches.size(), shown);
  std::printf("  %6s %9s %9s %6s  %-24s %s\n", "share", "ms", "GFLOP/s", "%peak", "name", "from");
  for (size_t i = 0; i < shown; ++i) {
    const Row &r = rows[i];
    const DispatchInfo &d = dispatches[r.index];
    double share = dispatchTotal > 0 ? 100.0 * r.ms / dispatchTotal : 0;
    std::string origin = dispatchOrigin(d);
    if (d.flops && options.peak)
      std::printf("  %5.1f%% %9.3f %9.1f %6.1f  %-24s %s\n", share, r.ms, r.gflops,
                  percent(r.gflops), d.name.c_str(), origin.c_str());
    else if (d.flops)
      std::printf("  %5.1f%% %9.3f %9.1f %6s  %-24s %s\n", share, r.ms, r.gflops, "-",
                  d.name.c_str(), origin.c_str());
    else
      std::printf("  %5.1f%% %9.3f %9s %6s  %-24s %s\n", share, r.ms, "-", "-", d.name.c_str(),
                  origin.c_str());
  }
  std::fflush(stdout);
  return kExitSuccess;
}

} // namespace tessera::tools
