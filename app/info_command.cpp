#include "app/info_command.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <memory>

#include "app/cli_common.hpp"

namespace ftcnn::cli {
namespace {

struct InfoOptions {
  ModelOptions model;
  bool json = false;
  int64_t batch = 1000;  // for the activation memory
};

// Trainable parameters (PyTorch's count) and buffers (BatchNorm running statistics, EDAC bounds) of one
// layer.
std::pair<int64_t, int64_t> layer_parameters(const ParameterStore& store, const std::string& layer) {
  int64_t trainable = 0, buffers = 0;
  for (const ParameterInfo& p : store.infos()) {
    if (p.layer == layer) (is_trainable(p.kind) ? trainable : buffers) += p.numel();
  }
  return {trainable, buffers};
}

std::string mib(int64_t floats) {
  return fmt::format("{:.1f} MiB", static_cast<double>(floats) * sizeof(float) / (1024.0 * 1024.0));
}

void run_info(const InfoOptions& options) {
  const Model model = load_model_from(options.model);
  const Graph& graph = *model.graph;
  nlohmann::json layers = nlohmann::json::array();
  const std::vector<Shape> shapes = graph.output_shapes(1);
  int64_t total_macs = 0;
  for (int i = 0; i < graph.size(); ++i) {
    const Layer& layer = graph.layer(i);
    const int64_t macs = layer.macs_per_item(graph.node_inputs(i, shapes).front());
    const Shape& shape = shapes[static_cast<size_t>(i)];
    total_macs += macs;
    std::vector<int64_t> dims(shape.dims().begin() + 1, shape.dims().end());
    std::vector<std::string> inputs;
    for (int p : graph.inputs(i)) inputs.push_back(p < 0 ? kModelInputName : graph.layer(p).name());
    const auto [trainable, buffers] = layer_parameters(graph.parameters(), layer.name());
    layers.push_back({{"name", layer.name()},
                      {"type", layer_type_name(layer.type())},
                      {"inputs", inputs},
                      {"output_shape", dims},
                      {"parameters", trainable},
                      {"buffers", buffers},
                      {"macs", macs}});
  }
  // The activation arena of a CPU batch (Graph::activation_layout) against the most that is ever live.
  const ActivationLayout memory =
      graph.activation_layout(options.batch, std::vector<int>(static_cast<size_t>(graph.size()), 0));
  const int64_t total_parameters = graph.parameters().trainable_parameters();
  const int64_t total_buffers = graph.parameters().total_elements() - total_parameters;
  if (options.json) {
    print_json({{"command", "info"},
                {"model", model.path},
                {"arch", graph.spec().arch},
                {"format", model.info.source_format},
                {"dataset", model.info.dataset},
                {"input_shape", graph.spec().input.dims()},
                {"num_classes", graph.spec().num_classes},
                {"layers", layers},
                {"parameters", total_parameters},
                {"buffers", total_buffers},
                {"macs", total_macs},
                {"activation_memory",
                 {{"batch", options.batch},
                  {"arena_bytes", memory.arena * static_cast<int64_t>(sizeof(float))},
                  {"live_peak_bytes", memory.live_peak * static_cast<int64_t>(sizeof(float))}}},
                {"checksum", graph.parameters().checksum_hex()},
                {"version", version()}});
    return;
  }
  fmt::print("{} ({}, {}), input {}\n", model.path, graph.spec().arch, model.info.source_format,
             graph.spec().input.str());
  size_t width = 16;  // the name column
  for (int i = 0; i < graph.size(); ++i) width = std::max(width, graph.layer(i).name().size());
  fmt::print("{:<{}} {:<12} {:<18} {:>14} {:>16}  {}\n", "layer", width, "type", "output", "parameters",
             "MACs", "inputs");
  for (const auto& l : layers) {
    fmt::print("{:<{}} {:<12} {:<18} {:>14} {:>16}  {}\n", l["name"].get<std::string>(), width,
               l["type"].get<std::string>(), Shape(l["output_shape"].get<std::vector<int64_t>>()).str(),
               group_digits(l["parameters"].get<int64_t>()), group_digits(l["macs"].get<int64_t>()),
               fmt::join(l["inputs"].get<std::vector<std::string>>(), ", "));
  }
  fmt::print("{:<{}} {:>14} {:>16}\n", "total", width + 32, group_digits(total_parameters),
             group_digits(total_macs));
  if (total_buffers > 0) {
    fmt::print(
        "plus {} buffer values (BatchNorm running statistics, EDAC interval bounds; fault targets too)\n",
        group_digits(total_buffers));
  }
  fmt::print("activations at batch {}: arena {} (largest sum of tensors live at once: {})\n", options.batch,
             mib(memory.arena), mib(memory.live_peak));
}

}  // namespace

void register_info_command(CLI::App& app) {
  auto options = std::make_shared<InfoOptions>();
  CLI::App* command = app.add_subcommand("info", "Show a model's layers, parameters and MACs");
  add_model_options(*command, options->model);
  command->add_flag("--json", options->json, "print one JSON object on stdout");
  command->add_option("--batch", options->batch, "batch size of the activation memory shown")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  command->callback([options] { run_info(*options); });
}

}  // namespace ftcnn::cli
