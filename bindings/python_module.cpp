// ftcnn._core: the engine inside Python (python/ftcnn/commands.py and model.py are its Python face).
//
// run() executes a command line in this process through the same cli::execute as the `ftcnn` binary, so a
// command from Python computes and writes exactly what it computes and writes from the shell; its JSON
// reply and the arrays it offers (eval's logits) come back through a ReplyCapture, the arrays as numpy
// arrays over the engine's own buffers (no copy). Model runs a loaded model's forward pass on numpy batches.
// The GIL is released while the engine computes, and one command runs at a time.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "app/cli_app.hpp"
#include "app/cli_common.hpp"
#include "app/command_reply.hpp"
#include "app/embedding.hpp"
#include "engine/error.hpp"
#include "engine/io/model_file.hpp"
#include "engine/runner.hpp"

namespace py = pybind11;

namespace ftcnn::python {
namespace {

// The engine keeps process-wide state (the reply capture, OpenMP's thread count, the progress setting):
// commands and forward passes take turns.
std::mutex& engine_turn() {
  static std::mutex turn;
  return turn;
}

// A numpy array that owns `values` (moved, not copied) through a capsule.
template <typename T>
py::array numpy_owning(std::vector<T>&& values, const std::vector<int64_t>& shape) {
  auto* owned = new std::vector<T>(std::move(values));
  py::capsule release(owned, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  std::vector<py::ssize_t> dims(shape.begin(), shape.end());
  return py::array_t<T>(dims, owned->data(), release);
}

py::dict run(const std::vector<std::string>& arguments) {
  std::vector<std::string> words{"ftcnn"};
  words.insert(words.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);

  cli::Outcome outcome;
  std::optional<nlohmann::json> reply;
  std::map<std::string, cli::ReplyArray> arrays;
  {
    py::gil_scoped_release computing;
    std::lock_guard<std::mutex> turn(engine_turn());
    cli::ReplyCapture capture;
    outcome = cli::execute(static_cast<int>(words.size()), argv.data());
    reply = std::move(capture.reply);
    arrays = std::move(capture.arrays);
  }
  py::dict result;
  result["status"] = outcome.status;
  result["message"] = outcome.message;
  result["reply"] = reply ? py::object(py::str(reply->dump())) : py::object(py::none());
  py::dict numpy_arrays;
  for (auto& [name, array] : arrays) {
    numpy_arrays[py::str(name)] =
        std::visit([&](auto&& values) { return numpy_owning(std::move(values), array.shape); }, array.values);
  }
  result["arrays"] = numpy_arrays;
  return result;
}

// A model file loaded once, with a runner per device made when first asked for.
class PyModel {
 public:
  PyModel(const std::string& path, const std::string& arch) : model_(load_model(path, arch)) {}

  const ModelSpec& spec() const { return model_.graph->spec(); }

  std::vector<int64_t> input_shape() const { return spec().input.dims(); }

  // Logits of a preprocessed float32 batch [N, C, H, W]: the input is read where it lies when it is float32
  // and C-contiguous (copied once otherwise, by pybind11's cast), the output written straight into the
  // returned array.
  py::array_t<float> forward(py::array_t<float, py::array::c_style | py::array::forcecast> input,
                             const std::string& device_text, int64_t batch, int threads) {
    const std::vector<int64_t> item = input_shape();
    bool fits = input.ndim() == 1 + static_cast<py::ssize_t>(item.size());
    for (size_t d = 0; fits && d < item.size(); ++d)
      fits = input.shape(static_cast<py::ssize_t>(d + 1)) == item[d];
    if (!fits) {
      std::vector<py::ssize_t> got(input.shape(), input.shape() + input.ndim());
      throw py::value_error(fmt::format("model '{}' takes a batch [N, {}]; got an array of shape ({})",
                                        spec().arch, fmt::join(item, ", "), fmt::join(got, ", ")));
    }
    if (batch <= 0) throw py::value_error(fmt::format("batch must be positive, got {}", batch));
    const int64_t count = input.shape(0);
    const int64_t classes = spec().num_classes;
    py::array_t<float> logits(std::vector<py::ssize_t>{static_cast<py::ssize_t>(count), classes});
    const int64_t in_item = spec().input.numel();
    const float* in = input.data();
    float* out = logits.mutable_data();
    {
      py::gil_scoped_release computing;
      std::lock_guard<std::mutex> turn(engine_turn());
      Runner& runner = runner_for(parse_device(device_text), threads);
      for (int64_t first = 0; first < count; first += batch) {
        const int64_t n = std::min(batch, count - first);
        runner.forward(in + first * in_item, n, out + first * classes);
      }
    }
    return logits;
  }

  const Model& model() const { return model_; }

 private:
  Runner& runner_for(Device device, int threads) {
    if (!runner_ || runner_->device() != device || threads != threads_) {
      runner_ = make_runner(*model_.graph, device, threads);
      threads_ = threads;
    }
    return *runner_;
  }

  Model model_;
  std::unique_ptr<Runner> runner_;
  int threads_ = 0;
};

}  // namespace
}  // namespace ftcnn::python

PYBIND11_MODULE(_core, m) {
  using ftcnn::python::PyModel;
  m.doc() = "ftcnn's engine in this process: run(arguments) runs a command line, Model a forward pass";
  ftcnn::cli::set_embedded(true);  // no MPI job, no process-ending second SIGINT (app/embedding.hpp)
  // An engine error (bad input, a failed write) raises ftcnn.errors.Error with the engine's one line.
  py::register_exception_translator([](std::exception_ptr thrown) {
    try {
      if (thrown) std::rethrow_exception(thrown);
    } catch (const ftcnn::Error& e) {
      const py::object error = py::module_::import("ftcnn.errors").attr("Error");
      PyErr_SetString(error.ptr(), e.what());
    }
  });
  m.def("run", &ftcnn::python::run, py::arg("arguments"),
        "Runs `ftcnn <arguments>` in this process. Returns {status, message, reply (the JSON text of "
        "--json, or None), arrays (name -> numpy array)}.");
  m.attr("version") = ftcnn::cli::version();
  py::class_<PyModel>(m, "Model")
      .def(py::init([](const std::string& path, const std::string& arch) {
             // Reading the file is engine work too: without the GIL, in turn with commands.
             py::gil_scoped_release reading;
             std::lock_guard<std::mutex> turn(ftcnn::python::engine_turn());
             return std::make_unique<PyModel>(path, arch);
           }),
           py::arg("path"), py::arg("arch") = "")
      .def_property_readonly("path", [](const PyModel& self) { return self.model().path; })
      .def_property_readonly("arch", [](const PyModel& self) { return self.spec().arch; })
      .def_property_readonly("num_classes", [](const PyModel& self) { return self.spec().num_classes; })
      .def_property_readonly("input_shape", &PyModel::input_shape)
      .def_property_readonly("dataset", [](const PyModel& self) { return self.model().info.dataset; })
      .def_property_readonly("class_names", [](const PyModel& self) { return self.model().info.class_names; })
      .def_property_readonly(
          "checksum", [](const PyModel& self) { return self.model().graph->parameters().checksum_hex(); })
      .def_property_readonly("scale",
                             [](const PyModel& self) { return self.model().info.preprocessing.scale; })
      .def_property_readonly("mean", [](const PyModel& self) { return self.model().info.preprocessing.mean; })
      .def_property_readonly("std", [](const PyModel& self) { return self.model().info.preprocessing.std; })
      .def("forward", &PyModel::forward, py::arg("input"), py::arg("device") = "cpu", py::arg("batch") = 128,
           py::arg("threads") = 0);
}
