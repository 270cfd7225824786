/* The Tessera runtime C API: load a module, inspect its inputs and outputs, run it.
 *
 * Every function that can fail returns a tsr_status; on failure tsr_last_error() returns a
 * message describing it (per thread, valid until the next failing call on that thread).
 * Handles are opaque; a session keeps its module alive, so the module handle may be destroyed
 * while sessions created from it are still in use. */
#ifndef TESSERA_RUNTIME_H
#define TESSERA_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

/* Exported from libtessera_runtime.so (whose other symbols are hidden). */
#if defined(__GNUC__)
#define TSR_API __attribute__((visibility("default")))
#else
#define TSR_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tsr_status {
  TSR_OK = 0,
  TSR_ERROR = 1,            /* The operation failed; see tsr_last_error(). */
  TSR_INVALID_ARGUMENT = 2, /* A null handle, out-of-range index or similar caller mistake. */
} tsr_status;

/* Values match the module format's DType. */
typedef enum tsr_dtype { TSR_F32 = 0, TSR_I32 = 1, TSR_I64 = 2 } tsr_dtype;

typedef struct tsr_module tsr_module;
typedef struct tsr_session tsr_session;

/* Describes one input or output. `name` and `shape` stay valid while the module handle (or a
 * session created from it) lives. */
typedef struct tsr_tensor_info {
  const char *name;
  tsr_dtype dtype;
  int32_t rank;
  const int64_t *shape;
  uint64_t num_elements;
} tsr_tensor_info;

TSR_API const char *tsr_last_error(void);

TSR_API tsr_status tsr_module_load_file(const char *path, tsr_module **out_module);
TSR_API tsr_status tsr_module_load_bytes(const void *data, size_t size, tsr_module **out_module);
TSR_API void tsr_module_destroy(tsr_module *module);

TSR_API size_t tsr_module_num_inputs(const tsr_module *module);
TSR_API size_t tsr_module_num_outputs(const tsr_module *module);
TSR_API tsr_status tsr_module_input_info(const tsr_module *module, size_t index,
                                         tsr_tensor_info *out);
TSR_API tsr_status tsr_module_output_info(const tsr_module *module, size_t index,
                                          tsr_tensor_info *out);
/* The image flags the model file declares (`preprocess`, as tessera run's flags, e.g.
   "--preset inception"); "" when it declares none or module is null. Valid while the module is. */
TSR_API const char *tsr_module_image_flags(const tsr_module *module);

/* num_threads: threads running workgroups including the caller; 0 = all cores, 1 = inline. */
TSR_API tsr_status tsr_session_create(const tsr_module *module, int32_t num_threads,
                                      tsr_session **out_session);

typedef enum tsr_device { TSR_DEVICE_CPU = 0, TSR_DEVICE_CUDA = 1 } tsr_device;

/* Everything a session can be configured with. Fill it with tsr_session_options_init, then set
 * fields. struct_size records the header the caller was built with: a runtime refuses a struct
 * of another size with a message instead of misreading it. */
typedef struct tsr_session_options {
  uint32_t struct_size;      /* sizeof(tsr_session_options); set by tsr_session_options_init. */
  int32_t num_threads;       /* As for tsr_session_create (0..4096); default 0 (all cores). */
  int32_t device;            /* A tsr_device; default TSR_DEVICE_CPU. */
  int32_t cuda_device;       /* Ordinal of the CUDA device; default 0. */
  uint64_t max_memory_bytes; /* Most memory the session may allocate; 0 = half the machine's. */
} tsr_session_options;

TSR_API void tsr_session_options_init(tsr_session_options *options);
/* Fails with a message when the module has no executable for the device, the CUDA driver is
 * missing, or the module needs more memory than max_memory_bytes. */
TSR_API tsr_status tsr_session_create_with_options(const tsr_module *module,
                                                   const tsr_session_options *options,
                                                   tsr_session **out_session);
/* "cpu", or the CUDA device's name and architecture; valid while the session lives. */
TSR_API const char *tsr_session_device_name(const tsr_session *session);

/* The runtime's version, "MAJOR.MINOR.PATCH". */
TSR_API const char *tsr_version(void);
TSR_API void tsr_session_destroy(tsr_session *session);

/* Runs the module once. inputs[i] / outputs[i] point at the data of module input / output i
 * with exactly the shape and dtype its info reports, in C order. Counts must match. */
TSR_API tsr_status tsr_session_run(tsr_session *session, const void *const *inputs,
                                   size_t num_inputs, void *const *outputs, size_t num_outputs);
/* Same, but fails unless every input and output is f32. */
TSR_API tsr_status tsr_session_run_f32(tsr_session *session, const float *const *inputs,
                                       size_t num_inputs, float *const *outputs,
                                       size_t num_outputs);

#ifdef __cplusplus
}
#endif

#endif /* TESSERA_RUNTIME_H */
