/* Runs a compiled Tessera module through the runtime's C API: every f32 input filled with
 * 0.5, every output's shape and first values printed. Build against an installed runtime
 * (PKG_CONFIG_PATH=PREFIX/lib/pkgconfig unless PREFIX is /usr or /usr/local), shared:
 *
 *   cc run_module.c $(pkg-config --cflags --libs tessera-runtime) \
 *      -Wl,-rpath,$(pkg-config --variable=libdir tessera-runtime) -o run_module
 *
 * or static (the runtime is C++: libstdc++, libm, pthreads and libdl come along):
 *
 *   cc run_module.c $(pkg-config --cflags tessera-runtime) \
 *      $(pkg-config --variable=libdir tessera-runtime)/libtessera_runtime.a \
 *      -lstdc++ -lm -lpthread -ldl -o run_module_static
 *
 * or with CMake: find_package(TesseraRuntime) and target_link_libraries(app PRIVATE
 * TesseraRuntime::tessera_runtime). */
#include <tessera/runtime.h>

#include <stdio.h>
#include <stdlib.h>

static int fail(const char *what) {
  fprintf(stderr, "run_module: %s: %s\n", what, tsr_last_error());
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: run_module MODULE.tsm\n");
    return 2;
  }
  tsr_module *module = NULL;
  if (tsr_module_load_file(argv[1], &module) != TSR_OK)
    return fail("load");

  tsr_session_options options;
  tsr_session_options_init(&options);
  options.num_threads = 1;
  tsr_session *session = NULL;
  if (tsr_session_create_with_options(module, &options, &session) != TSR_OK)
    return fail("session");

  size_t numInputs = tsr_module_num_inputs(module), numOutputs = tsr_module_num_outputs(module);
  float **inputs = calloc(numInputs ? numInputs : 1, sizeof(float *));
  float **outputs = calloc(numOutputs ? numOutputs : 1, sizeof(float *));
  tsr_tensor_info info;
  for (size_t i = 0; i < numInputs; ++i) {
    tsr_module_input_info(module, i, &info);
    inputs[i] = malloc((info.num_elements ? info.num_elements : 1) * sizeof(float));
    for (uint64_t e = 0; e < info.num_elements; ++e)
      inputs[i][e] = 0.5f;
  }
  for (size_t i = 0; i < numOutputs; ++i) {
    tsr_module_output_info(module, i, &info);
    outputs[i] = malloc((info.num_elements ? info.num_elements : 1) * sizeof(float));
  }
  /* Fails with a message when an input or output is not f32. */
  if (tsr_session_run_f32(session, (const float *const *)inputs, numInputs, outputs, numOutputs) !=
      TSR_OK)
    return fail("run");

  printf("tessera runtime %s on %s\n", tsr_version(), tsr_session_device_name(session));
  for (size_t i = 0; i < numOutputs; ++i) {
    tsr_module_output_info(module, i, &info);
    printf("%s: f32[", info.name);
    for (int32_t d = 0; d < info.rank; ++d)
      printf(d ? ", %lld" : "%lld", (long long)info.shape[d]);
    printf("]");
    for (uint64_t e = 0; e < info.num_elements && e < 4; ++e)
      printf(" %.6g", outputs[i][e]);
    printf("\n");
  }

  for (size_t i = 0; i < numInputs; ++i)
    free(inputs[i]);
  for (size_t i = 0; i < numOutputs; ++i)
    free(outputs[i]);
  free(inputs);
  free(outputs);
  tsr_session_destroy(session);
  tsr_module_destroy(module);
  return 0;
}
