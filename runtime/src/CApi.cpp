// The C API is a thin layer over Module and Session: it converts handles, catches nothing new
// (the C++ API reports errors by value) and stores the last message per thread.
#include "tessera/runtime.h"

#include "tessera/Module.h"
#include "tessera/Session.h"

#include <new>
#include <string>

using namespace tessera::runtime;

struct tsr_module {
  std::shared_ptr<Module> module;
};

struct tsr_session {
  std::unique_ptr<Session> session;
  std::string deviceName;
};

namespace {

thread_local std::string lastError;

tsr_status fail(tsr_status status, const std::string &message) {
  lastError = message;
  return status;
}

tsr_status fail(const Error &err) { return fail(TSR_ERROR, err.message()); }

tsr_status tensorInfo(const std::vector<TensorSpec> &specs, size_t index, const char *what,
                      tsr_tensor_info *out) {
  if (!out)
    return fail(TSR_INVALID_ARGUMENT, "null tsr_tensor_info pointer");
  if (index >= specs.size())
    return fail(TSR_INVALID_ARGUMENT,
                concat(what, " index ", index, " out of range (module has ", specs.size(), ")"));
  const TensorSpec &spec = specs[index];
  out->name = spec.name.c_str();
  out->dtype = static_cast<tsr_dtype>(spec.dtype);
  out->rank = static_cast<int32_t>(spec.shape.size());
  out->shape = spec.shape.data();
  out->num_elements = spec.numElements;
  return TSR_OK;
}

tsr_status wrapModule(Expected<std::shared_ptr<Module>> module, tsr_module **out) {
  if (!module)
    return fail(module.error());
  tsr_module *handle = new (std::nothrow) tsr_module{module.takeValue()};
  if (!handle)
    return fail(TSR_ERROR, "out of memory");
  *out = handle;
  return TSR_OK;
}

} // namespace

extern "C" {

const char *tsr_last_error(void) { return lastError.c_str(); }

tsr_status tsr_module_load_file(const char *path, tsr_module **out_module) {
  if (!path || !out_module)
    return fail(TSR_INVALID_ARGUMENT, "tsr_module_load_file: null argument");
  *out_module = nullptr;
  return wrapModule(Module::loadFile(path), out_module);
}

tsr_status tsr_module_load_bytes(const void *data, size_t size, tsr_module **out_module) {
  if (!out_module)
    return fail(TSR_INVALID_ARGUMENT, "tsr_module_load_bytes: null argument");
  *out_module = nullptr;
  return wrapModule(Module::loadBytes(data, size), out_module);
}

void tsr_module_destroy(tsr_module *module) { delete module; }

size_t tsr_module_num_inputs(const tsr_module *module) {
  return module ? module->module->inputs().size() : 0;
}

size_t tsr_module_num_outputs(const tsr_module *module) {
  return module ? module->module->outputs().size() : 0;
}

tsr_status tsr_module_input_info(const tsr_module *module, size_t index, tsr_tensor_info *out) {
  if (!module)
    return fail(TSR_INVALID_ARGUMENT, "null module");
  return tensorInfo(module->module->inputs(), index, "input", out);
}

tsr_status tsr_module_output_info(const tsr_module *module, size_t index, tsr_tensor_info *out) {
  if (!module)
    return fail(TSR_INVALID_ARGUMENT, "null module");
  return tensorInfo(module->module->outputs(), index, "output", out);
}

const char *tsr_module_image_flags(const tsr_module *module) {
  return module ? module->module->info().imageFlags.c_str() : "";
}

tsr_status tsr_session_create(const tsr_module *module, int32_t num_threads,
                              tsr_session **out_session) {
  tsr_session_options options;
  tsr_session_options_init(&options);
  options.num_threads = num_threads;
  return tsr_session_create_with_options(module, &options, out_session);
}

void tsr_session_options_init(tsr_session_options *options) {
  if (!options)
    return;
  *options = tsr_session_options{};
  options->struct_size = sizeof(tsr_session_options);
  options->device = TSR_DEVICE_CPU;
}

tsr_status tsr_session_create_with_options(const tsr_module *module,
                                           const tsr_session_options *options,
                                           tsr_session **out_session) {
  if (!module || !options || !out_session)
    return fail(TSR_INVALID_ARGUMENT, "tsr_session_create_with_options: null argument");
  *out_session = nullptr;
  // A caller built against an older header passes a smaller struct; one from a newer header a
  // larger one whose extra fields this runtime cannot honour.
  if (options->struct_size != sizeof(tsr_session_options))
    return fail(TSR_INVALID_ARGUMENT,
                concat("tsr_session_options.struct_size is ", options->struct_size, ", expected ",
                       sizeof(tsr_session_options), " (use tsr_session_options_init)"));
  if (options->num_threads < 0 || options->num_threads > 4096)
    return fail(TSR_INVALID_ARGUMENT,
                concat("num_threads must be 0..4096, got ", options->num_threads));
  if (options->device != TSR_DEVICE_CPU && options->device != TSR_DEVICE_CUDA)
    return fail(TSR_INVALID_ARGUMENT, concat("unknown device ", options->device));
  if (options->cuda_device < 0)
    return fail(TSR_INVALID_ARGUMENT,
                concat("cuda_device must be >= 0, got ", options->cuda_device));
  SessionOptions sessionOptions;
  sessionOptions.threads = static_cast<unsigned>(options->num_threads);
  sessionOptions.device = options->device == TSR_DEVICE_CUDA ? Device::Cuda : Device::Cpu;
  sessionOptions.cudaDevice = options->cuda_device;
  sessionOptions.maxMemoryBytes = options->max_memory_bytes;
  try {
    Expected<std::unique_ptr<Session>> session = Session::create(module->module, sessionOptions);
    if (!session)
      return fail(session.error());
    auto handle = std::make_unique<tsr_session>();
    handle->session = session.takeValue();
    handle->deviceName = handle->session->deviceName();
    *out_session = handle.release();
  } catch (const std::bad_alloc &) {
    return fail(TSR_ERROR, "out of memory");
  }
  return TSR_OK;
}

const char *tsr_session_device_name(const tsr_session *session) {
  return session ? session->deviceName.c_str() : "";
}

const char *tsr_version(void) { return TESSERA_VERSION_STRING; }

void tsr_session_destroy(tsr_session *session) { delete session; }

tsr_status tsr_session_run(tsr_session *session, const void *const *inputs, size_t num_inputs,
                           void *const *outputs, size_t num_outputs) {
  if (!session)
    return fail(TSR_INVALID_ARGUMENT, "null session");
  const Module &module = session->session->module();
  if (num_inputs != module.inputs().size() || num_outputs != module.outputs().size())
    return fail(TSR_INVALID_ARGUMENT, concat("module takes ", module.inputs().size(),
                                             " inputs and ", module.outputs().size(),
                                             " outputs, got ", num_inputs, " and ", num_outputs));
  if ((num_inputs && !inputs) || (num_outputs && !outputs))
    return fail(TSR_INVALID_ARGUMENT, "null input or output array");
  try {
    // The C caller promises the module's shapes, so the refs take them from the specs.
    std::vector<TensorRef> in;
    for (size_t i = 0; i < num_inputs; ++i)
      in.push_back({module.inputs()[i].dtype, module.inputs()[i].shape, inputs[i]});
    std::vector<MutableTensorRef> out;
    for (size_t i = 0; i < num_outputs; ++i)
      out.push_back({module.outputs()[i].dtype, module.outputs()[i].shape, outputs[i]});
    if (Error err = session->session->run(in, out))
      return fail(err);
  } catch (const std::bad_alloc &) {
    return fail(TSR_ERROR, "out of memory");
  }
  return TSR_OK;
}

tsr_status tsr_session_run_f32(tsr_session *session, const float *const *inputs, size_t num_inputs,
                               float *const *outputs, size_t num_outputs) {
  if (!session)
    return fail(TSR_INVALID_ARGUMENT, "null session");
  const Module &module = session->session->module();
  for (const TensorSpec &spec : module.inputs())
    if (spec.dtype != DType::F32)
      return fail(TSR_INVALID_ARGUMENT, concat("input '", spec.name, "' is ", spec.typeString(),
                                               ", not f32; use tsr_session_run"));
  for (const TensorSpec &spec : module.outputs())
    if (spec.dtype != DType::F32)
      return fail(TSR_INVALID_ARGUMENT, concat("output '", spec.name, "' is ", spec.typeString(),
                                               ", not f32; use tsr_session_run"));
  return tsr_session_run(session, reinterpret_cast<const void *const *>(inputs), num_inputs,
                         reinterpret_cast<void *const *>(outputs), num_outputs);
}

} // extern "C"
