// libFuzzer target: the safetensors reader (tessera compile --weights), every tensor read back
// as f32 (the conversions from f64, f16 and bf16 included).
#include "tessera/Safetensors.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace tessera::runtime;
  Expected<std::unique_ptr<SafetensorsFile>> file =
      SafetensorsFile::fromBytes(data, size, "fuzz.safetensors");
  if (!file)
    return 0;
  for (const std::string &name : (*file)->names()) {
    const SafetensorsTensor *t = (*file)->find(name);
    if (!t)
      __builtin_trap(); // names() and find() disagree
    if (t->size > 0) {
      volatile uint8_t last = t->data[t->size - 1];
      (void)last;
    }
    // Bounded: a tiny file cannot describe a huge tensor (sizes must tile the data area).
    Expected<Tensor> f32 = (*file)->readF32(name);
    (void)f32;
  }
  return 0;
}
