// The `tessera._tessera` extension: modules and sessions over the runtime's C API, and the
// tools' image codecs and preprocessing. The Python layer (tessera/*.py) gives the friendly
// errors; this layer still checks every buffer it hands to the runtime.
#include "ImageFlags.h"
#include "tessera/image/ImageTensor.h"
#include "tessera/runtime.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <vector>

namespace py = pybind11;
using tessera::runtime::Shape;

namespace {

// Raised as tessera.Error (a RuntimeError) with the runtime's message.
struct TesseraError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void check(tsr_status status) {
  if (status != TSR_OK)
    throw TesseraError(tsr_last_error());
}

const char *numpyDtype(tsr_dtype dtype) {
  switch (dtype) {
  case TSR_F32:
    return "float32";
  case TSR_I32:
    return "int32";
  case TSR_I64:
    return "int64";
  }
  return "unknown";
}

// numpy dtype equality (np.dtype('q') is int64 on Linux but another object).
bool sameDtype(const py::dtype &a, const py::dtype &b) {
  int equal = PyObject_RichCompareBool(a.ptr(), b.ptr(), Py_EQ);
  if (equal < 0)
    throw py::error_already_set();
  return equal == 1;
}

struct Spec {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
};

class Module {
public:
  explicit Module(tsr_module *handle) : handle_(handle) {}
  ~Module() { tsr_module_destroy(handle_); }
  Module(const Module &) = delete;
  Module &operator=(const Module &) = delete;

  static std::shared_ptr<Module> loadFile(const std::string &path) {
    tsr_module *handle = nullptr;
    check(tsr_module_load_file(path.c_str(), &handle));
    return std::make_shared<Module>(handle);
  }
  static std::shared_ptr<Module> loadBytes(const py::bytes &bytes) {
    std::string_view data = bytes;
    tsr_module *handle = nullptr;
    check(tsr_module_load_bytes(data.data(), data.size(), &handle));
    return std::make_shared<Module>(handle);
  }

  std::vector<Spec> inputs() const { return specs(true); }
  std::vector<Spec> outputs() const { return specs(false); }
  const tsr_module *handle() const { return handle_; }

private:
  std::vector<Spec> specs(bool inputs) const {
    size_t count = inputs ? tsr_module_num_inputs(handle_) : tsr_module_num_outputs(handle_);
    std::vector<Spec> result;
    for (size_t i = 0; i < count; ++i) {
      tsr_tensor_info info;
      check(inputs ? tsr_module_input_info(handle_, i, &info)
                   : tsr_module_output_info(handle_, i, &info));
      result.push_back({info.name, numpyDtype(info.dtype),
                        std::vector<int64_t>(info.shape, info.shape + info.rank)});
    }
    return result;
  }

  tsr_module *handle_;
};

class Session {
public:
  Session(std::shared_ptr<Module> module, int threads, const std::string &device, int cudaDevice,
          uint64_t maxMemoryBytes)
      : module_(std::move(module)) {
    if (!module_)
      throw py::type_error("Session needs a Module");
    tsr_session_options options;
    tsr_session_options_init(&options);
    options.num_threads = threads;
    if (device == "cpu")
      options.device = TSR_DEVICE_CPU;
    else if (device == "cuda")
      options.device = TSR_DEVICE_CUDA;
    else
      throw py::value_error("device must be 'cpu' or 'cuda', got '" + device + "'");
    options.cuda_device = cudaDevice;
    options.max_memory_bytes = maxMemoryBytes;
    check(tsr_session_create_with_options(module_->handle(), &options, &handle_));
  }
  ~Session() { tsr_session_destroy(handle_); }
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;

  std::string deviceName() const { return tsr_session_device_name(handle_); }

  // inputs[i] must be a C-contiguous array of input i's dtype and shape; returns fresh outputs.
  std::vector<py::array> run(const std::vector<py::array> &inputs) {
    std::vector<Spec> inSpecs = module_->inputs(), outSpecs = module_->outputs();
    if (inputs.size() != inSpecs.size())
      throw py::value_error("the module takes " + std::to_string(inSpecs.size()) + " inputs, got " +
                            std::to_string(inputs.size()));
    std::vector<const void *> in;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const py::array &array = inputs[i];
      const Spec &spec = inSpecs[i];
      bool contiguous = array.flags() & py::array::c_style;
      std::vector<int64_t> shape(array.shape(), array.shape() + array.ndim());
      if (!sameDtype(array.dtype(), py::dtype(spec.dtype)) || !contiguous || shape != spec.shape)
        throw py::value_error("input '" + spec.name + "' must be a C-contiguous " + spec.dtype +
                              " array of the module's shape");
      in.push_back(array.data());
    }
    std::vector<py::array> outputs;
    std::vector<void *> out;
    for (const Spec &spec : outSpecs) {
      outputs.emplace_back(py::dtype(spec.dtype), spec.shape);
      out.push_back(outputs.back().mutable_data());
    }
    tsr_status status;
    {
      // The runtime serializes runs of one session itself; other Python threads go on.
      py::gil_scoped_release release;
      status = tsr_session_run(handle_, in.data(), in.size(), out.data(), out.size());
    }
    check(status);
    return outputs;
  }

private:
  std::shared_ptr<Module> module_; // Kept for the specs; the session holds its own reference.
  tsr_session *handle_ = nullptr;
};

// The tools' image flags ("--resize=256", ...) parsed as tessera run parses them, so Python
// and the CLI share one definition of every preprocessing option.
tessera::tools::ImageFlags parseImageFlags(const std::vector<std::string> &flags) {
  tessera::tools::ImageFlags parsed;
  std::vector<std::string> storage(flags);
  std::vector<char *> argv;
  for (std::string &flag : storage)
    argv.push_back(flag.data());
  tessera::tools::ArgCursor cursor(int(argv.size()), argv.data());
  while (!cursor.done()) {
    std::string arg = cursor.next(), problem;
    int parsed_ = parsed.parse(cursor, arg, problem);
    if (parsed_ < 0)
      throw py::value_error(problem);
    if (parsed_ == 0)
      throw py::value_error("not an image option: " + arg);
  }
  return parsed;
}

py::array imageToArray(const tessera::image::Image &image) {
  py::array_t<uint8_t> array({image.height, image.width, image.channels});
  std::copy(image.pixels.begin(), image.pixels.end(), array.mutable_data());
  return std::move(array);
}

tessera::image::Image arrayToImage(const py::array &input) {
  auto array = py::array_t<uint8_t, py::array::c_style>::ensure(input);
  if (!array || !sameDtype(input.dtype(), py::dtype::of<uint8_t>()))
    throw py::type_error("an image must be a uint8 array, got " +
                         std::string(py::str(input.dtype())));
  if (array.ndim() != 2 && array.ndim() != 3)
    throw py::value_error("an image must be HxW or HxWxC, got " + std::to_string(array.ndim()) +
                          " dimensions");
  tessera::image::Image image;
  image.height = array.shape(0);
  image.width = array.shape(1);
  image.channels = array.ndim() == 3 ? array.shape(2) : 1;
  if (image.channels != 1 && image.channels != 3)
    throw py::value_error("an image must have 1 or 3 channels, got " +
                          std::to_string(image.channels));
  image.pixels.assign(array.data(), array.data() + array.size());
  return image;
}

template <typename T> T unwrap(tessera::runtime::Expected<T> value) {
  if (!value)
    throw py::value_error(value.error().message());
  return value.takeValue();
}

} // namespace

PYBIND11_MODULE(_tessera, m) {
  m.doc() = "Tessera runtime bindings (use the `tessera` package)";
  py::register_exception<TesseraError>(m, "Error", PyExc_RuntimeError);
  m.attr("__version__") = tsr_version();

  py::class_<Spec>(m, "Spec")
      .def_readonly("name", &Spec::name)
      .def_readonly("dtype", &Spec::dtype)
      .def_readonly("shape", &Spec::shape);

  py::class_<Module, std::shared_ptr<Module>>(m, "Module")
      .def_static("load_file", &Module::loadFile, py::arg("path"))
      .def_static("load_bytes", &Module::loadBytes, py::arg("data"))
      .def_property_readonly("inputs", &Module::inputs)
      .def_property_readonly("outputs", &Module::outputs)
      .def_property_readonly("image_flags", [](const Module &m) {
        return std::string(tsr_module_image_flags(m.handle()));
      });

  py::class_<Session>(m, "Session")
      .def(py::init<std::shared_ptr<Module>, int, const std::string &, int, uint64_t>(),
           py::arg("module").none(false), py::arg("threads"), py::arg("device"),
           py::arg("cuda_device"), py::arg("max_memory_bytes"))
      .def_property_readonly("device_name", &Session::deviceName)
      .def("run", &Session::run, py::arg("inputs"));

  m.def("image_load", [](const std::string &path) {
    return imageToArray(unwrap(tessera::image::loadImage(path)));
  });
  m.def("image_decode", [](const py::bytes &bytes) {
    std::string_view data = bytes;
    return imageToArray(unwrap(
        tessera::image::decodeImage(reinterpret_cast<const uint8_t *>(data.data()), data.size())));
  });
  m.def("image_save_png", [](const std::string &path, const py::array &array) {
    if (tessera::runtime::Error err = tessera::image::writePng(path, arrayToImage(array)))
      throw py::value_error(err.message());
  });
  m.def("image_to_tensor",
        [](const py::array &pixels, const Shape &shape, const std::vector<std::string> &flags) {
          tessera::image::Image image = arrayToImage(pixels);
          tessera::image::Preprocess preprocess = unwrap(parseImageFlags(flags).resolve("", shape));
          tessera::runtime::Tensor tensor =
              unwrap(tessera::image::imageToTensor(image, preprocess, shape, "the tensor"));
          py::array_t<float> array(shape);
          std::copy(tensor.dataAs<float>(), tensor.dataAs<float>() + tensor.numElements(),
                    array.mutable_data());
          return array;
        });
  m.def("tensor_to_image", [](const py::array &input, const std::vector<std::string> &flags) {
    auto array = py::array_t < float, py::array::c_style | py::array::forcecast > ::ensure(input);
    if (!array)
      throw py::type_error("the tensor must be a float32 array");
    Shape shape(array.shape(), array.shape() + array.ndim());
    tessera::image::Preprocess preprocess = unwrap(parseImageFlags(flags).resolve("", shape));
    return imageToArray(
        unwrap(tessera::image::tensorToImage(array.data(), shape, preprocess, "the tensor")));
  });
}
