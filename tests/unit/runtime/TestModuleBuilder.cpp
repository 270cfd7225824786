#include "TestModuleBuilder.h"

#include "tessera/ModuleChecksum.h"
#include "tessera/SeededFill.h"
#include "tessera/schema/module_generated.h"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace tessera::test {
namespace fb = tessera::schema;

namespace {

flatbuffers::Offset<fb::TensorSpec> buildSpec(flatbuffers::FlatBufferBuilder &b,
                                              const TSpec &spec) {
  auto name = b.CreateString(spec.name);
  auto shape = b.CreateVector(spec.shape);
  return fb::CreateTensorSpec(b, name, static_cast<fb::DType>(spec.dtype), shape);
}

std::vector<flatbuffers::Offset<fb::TensorSpec>> buildSpecs(flatbuffers::FlatBufferBuilder &b,
                                                            const std::vector<TSpec> &specs) {
  std::vector<flatbuffers::Offset<fb::TensorSpec>> out;
  for (const TSpec &spec : specs)
    out.push_back(buildSpec(b, spec));
  return out;
}

} // namespace

std::vector<uint8_t> buildModule(const TestModule &m) {
  flatbuffers::FlatBufferBuilder b(1024);
  b.ForceDefaults(m.writeChecksum);

  // Large payloads first, as the compiler would: they end up at the back of the buffer.
  std::vector<flatbuffers::Offset<fb::Constant>> constants;
  for (const TConstant &c : m.constants) {
    flatbuffers::Offset<flatbuffers::Vector<uint8_t>> data;
    if (c.hasData) {
      b.ForceVectorAlignment(c.data.size() + c.misalign, 1, 64);
      data = b.CreateVector(c.data);
    }
    auto spec = buildSpec(b, c.spec);
    fb::ConstantBuilder cb(b);
    cb.add_spec(spec);
    cb.add_storage(static_cast<fb::ConstantStorage>(c.storage));
    if (c.hasData)
      cb.add_data(data);
    cb.add_seed(c.seed);
    cb.add_low(c.low);
    cb.add_high(c.high);
    constants.push_back(cb.Finish());
  }
  std::vector<flatbuffers::Offset<fb::Executable>> executables;
  for (const TExecutable &e : m.executables) {
    auto data = b.CreateVector(e.data);
    auto target = b.CreateString(e.target);
    auto entries = b.CreateVectorOfStrings(e.entryPoints);
    std::vector<flatbuffers::Offset<fb::GpuKernel>> kernels;
    for (const TGpuKernel &k : e.kernels)
      kernels.push_back(fb::CreateGpuKernel(b, k.entryPoint, b.CreateString(k.name), k.blockSize,
                                            k.gridSize, k.sharedMemoryBytes));
    auto kernelsVec = e.kernels.empty() ? 0 : b.CreateVector(kernels);
    executables.push_back(fb::CreateExecutable(b, static_cast<fb::ExecutableFormat>(e.format),
                                               target, data, entries, kernelsVec));
  }
  std::vector<flatbuffers::Offset<fb::Dispatch>> dispatches;
  for (const TDispatch &d : m.dispatches) {
    std::vector<fb::Binding> bindings;
    for (const TBinding &bd : d.bindings)
      bindings.emplace_back(static_cast<fb::BindingKind>(bd.kind), bd.index, bd.offset, bd.length);
    auto bindingVector = b.CreateVectorOfStructs(bindings);
    auto name = b.CreateString(d.name);
    auto source = d.source.empty() ? 0 : b.CreateString(d.source);
    auto parameters = d.parameters.empty() ? 0 : b.CreateString(d.parameters);
    auto access = d.bindingAccess ? b.CreateVector(*d.bindingAccess) : 0;
    auto depends = d.dependsOn ? b.CreateVector(*d.dependsOn) : 0;
    auto types = d.bindingTypes ? b.CreateVectorOfStrings(*d.bindingTypes) : 0;
    dispatches.push_back(fb::CreateDispatch(b, name, d.executable, d.entryPoint, d.workgroups[0],
                                            d.workgroups[1], d.workgroups[2], bindingVector,
                                            /*flops=*/0, source, parameters, access, depends,
                                            types));
  }
  std::vector<flatbuffers::Offset<fb::AttentionMap>> maps;
  for (const TAttentionMap &a : m.attentionMaps) {
    auto grid = [](const std::optional<std::vector<int64_t>> &g) {
      return g ? std::optional<fb::SequenceGrid>(fb::SequenceGrid((*g)[0], (*g)[1], (*g)[2]))
               : std::nullopt;
    };
    auto query = grid(a.queryGrid), key = grid(a.keyGrid);
    maps.push_back(fb::CreateAttentionMap(b, a.output, b.CreateString(a.layer),
                                          query ? &*query : nullptr, key ? &*key : nullptr));
  }
  flatbuffers::Offset<fb::BuildInfo> buildInfo = 0;
  if (m.build) {
    std::vector<flatbuffers::Offset<fb::SourceFile>> sources;
    for (const auto &[path, sha] : m.build->sources)
      sources.push_back(fb::CreateSourceFile(b, b.CreateString(path), b.CreateString(sha)));
    buildInfo =
        fb::CreateBuildInfo(b, b.CreateVector(sources), b.CreateString(m.build->config),
                            b.CreateString(m.build->options), b.CreateString(m.build->weights));
  }
  auto inputs = buildSpecs(b, m.inputs);
  auto outputs = buildSpecs(b, m.outputs);
  auto module =
      fb::CreateModule(b, m.formatVersion, b.CreateString(m.name), b.CreateString(m.producer),
                       b.CreateVector(inputs), b.CreateVector(outputs), b.CreateVector(constants),
                       b.CreateVector(executables), m.arenaSize, b.CreateVector(dispatches),
                       /*checksum=*/0, maps.empty() ? 0 : b.CreateVector(maps),
                       m.imageFlags ? b.CreateString(*m.imageFlags) : 0, buildInfo);
  fb::FinishModuleBuffer(b, module);

  std::vector<uint8_t> bytes(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
  if (m.writeChecksum && m.seal) {
    runtime::Error err = runtime::sealModuleChecksum(bytes.data(), bytes.size());
    if (err)
      throw std::runtime_error("test module does not seal: " + err.message());
  }
  return bytes;
}

const std::vector<uint8_t> &testKernelLibrary() {
  static const std::vector<uint8_t> bytes = readFile(TESSERA_TEST_KERNELS_PATH);
  return bytes;
}

TestModule makeReferenceModule() {
  TestModule m;
  m.name = "reference";
  m.inputs = {{"x", 0, {2, 16}}};
  m.outputs = {{"y", 0, {2, 16}}};

  TConstant bias;
  bias.spec = {"bias", 0, {2, 16}};
  std::vector<float> values(32);
  for (int i = 0; i < 32; ++i)
    values[i] = 0.5f * i - 3.0f;
  bias.data.resize(128);
  std::memcpy(bias.data.data(), values.data(), 128);

  TConstant scale;
  scale.spec = {"scale", 0, {2, 16}};
  scale.storage = 1;
  scale.hasData = false;
  scale.seed = kReferenceSeed;
  scale.low = -1.0f;
  scale.high = 1.0f;
  m.constants = {bias, scale};

  TExecutable exe;
  exe.data = testKernelLibrary();
  exe.entryPoints = {"add_f32", "mul_f32", "noop"};
  m.executables = {exe};
  m.arenaSize = 256;

  TDispatch add;
  add.name = "d0_add";
  add.executable = 0;
  add.entryPoint = 0;
  add.workgroups[0] = 4;
  add.bindings = {{0, 0, 0, 128}, {2, 0, 0, 128}, {3, 0, 64, 128}};
  TDispatch mul;
  mul.name = "d1_mul";
  mul.entryPoint = 1;
  mul.workgroups[0] = 3;
  mul.bindings = {{3, 0, 64, 128}, {2, 1, 0, 128}, {1, 0, 0, 128}};
  m.dispatches = {add, mul};
  return m;
}

std::vector<float> referenceInput() {
  std::vector<float> x(32);
  for (int i = 0; i < 32; ++i)
    x[i] = 0.25f * i - 1.0f;
  return x;
}

std::vector<float> referenceOutput(const std::vector<float> &x) {
  std::vector<float> y(32);
  for (int i = 0; i < 32; ++i) {
    float sum = x[i] + (0.5f * i - 3.0f);
    y[i] = sum * runtime::seededUniformF32(kReferenceSeed, i, -1.0f, 1.0f);
  }
  return y;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "tessera-test-XXXXXX").string();
  if (!mkdtemp(pattern.data()))
    throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void writeFile(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char *>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out)
    throw std::runtime_error("cannot write " + path);
}

std::vector<uint8_t> readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read " + path);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

} // namespace tessera::test
