#include "app/eval_command.hpp"

#include <fmt/format.h>

#include <memory>

#include "app/cli_common.hpp"
#include "app/progress_bar.hpp"
#include "engine/evaluate.hpp"
#include "engine/io/hdf5_file.hpp"

namespace ftcnn::cli {
namespace {

struct EvalOptions {
  ModelOptions model;
  std::string data;
  std::string split = "test";
  std::string device = "cpu";
  int64_t batch = 0;
  ImageSelection images;
  int threads = 0;
  std::string logits;
  bool json = false;
};

void write_logits(const std::string& path, const EvalResult& result, const Dataset& data, int64_t classes) {
  write_hdf5_file(path, [&](H5File& file) {
    file.write_tensor("logits", Shape{result.images, classes}, result.logits.data());
    std::vector<float> labels(data.labels.begin(), data.labels.end());
    file.write_tensor("labels", Shape{data.count}, labels.data());
    file.write_string_attribute("created_by", "ftcnn eval " + version());
  });
}

void run_eval(const EvalOptions& options) {
  const Device device = parse_device(options.device);
  require_device(device);
  Model model = load_model_from(options.model);
  const Dataset data = load_selected_images(options.data, options.split, options.images);
  FT_CHECK(data.count > 0, "{}: no images", options.data);
  const int64_t batch = options.batch > 0 ? options.batch : (device == Device::cuda ? 1000 : 128);
  auto runner = make_runner(*model.graph, device, options.threads);
  const Preprocessing& pre = model.info.preprocessing;
  ProgressBar bar("eval", data.count, "img");
  // The logits are kept for --logits, and for Python (the module's eval returns them as arrays).
  const bool keep_logits = !options.logits.empty() || reply_captured();
  EvalResult result = evaluate(*runner, *model.graph, data, pre.scale, pre.mean, pre.std, batch, keep_logits,
                               [&](int64_t done) { bar.update(done); });
  bar.finish();
  const int64_t classes = model.graph->spec().num_classes;
  if (!options.logits.empty()) write_logits(options.logits, result, data, classes);
  if (reply_captured()) {
    offer_array("labels", {data.labels, {data.count}});
    offer_array("predictions", {std::move(result.predictions), {result.images}});
    offer_array("logits", {std::move(result.logits), {result.images, classes}});
  }
  const double rate = result.seconds > 0 ? static_cast<double>(result.images) / result.seconds : 0.0;
  const bool spread = options.images.evenly_spaced && options.images.count > 0;
  if (options.json) {
    print_json({{"command", "eval"},
                {"model", model.path},
                {"arch", model.graph->spec().arch},
                {"data", data.source},
                {"dataset", data.name},
                {"device", device_name(device)},
                {"device_name", runner->description()},
                {"batch", batch},
                {"images", result.images},
                {"selection", spread ? "evenly spaced" : "first"},
                {"correct", result.correct},
                {"non_finite", result.non_finite},
                {"accuracy", result.accuracy()},
                {"seconds", result.seconds},
                {"images_per_second", rate},
                {"model_checksum", model.graph->parameters().checksum_hex()},
                {"version", version()}});
    return;
  }
  fmt::print("{} on {} ({} images{}, {}, batch {})\n", model.path, data.source, result.images,
             spread ? " evenly spaced" : "", runner->description(), batch);
  fmt::print("top-1 accuracy {:.2f} % ({} / {}), {:.3f} s, {:.0f} images/s\n", 100.0 * result.accuracy(),
             result.correct, result.images, result.seconds, rate);
  if (result.non_finite > 0) fmt::print("{} images had NaN or Inf logits\n", result.non_finite);
}

}  // namespace

void register_eval_command(CLI::App& app) {
  auto options = std::make_shared<EvalOptions>();
  CLI::App* command = app.add_subcommand("eval", "Classify a CIFAR split and report top-1 accuracy");
  add_model_options(*command, options->model);
  command
      ->add_option("--data", options->data,
                   "CIFAR binary or python folder, or an .npz/.h5 of images and labels (docs/datasets.md)")
      ->required();
  command->add_option("--split", options->split, "test or train")->check(CLI::IsMember({"test", "train"}));
  command->add_option("--device", options->device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  command->add_option("--batch", options->batch, "images per forward pass (default 128 on cpu, 1000 on cuda)")
      ->check(positive_integer());
  add_image_selection(*command, options->images, "the images to classify (default: all; --limit: older name)",
                      "--images,--limit");
  command->add_option("--threads", options->threads, "CPU threads (default: all)")
      ->check(non_negative_integer());
  command->add_option("--logits", options->logits, "write the logits and labels to this HDF5 file");
  command->add_flag("--json", options->json, "print one JSON object on stdout");
  command->callback([options] { run_eval(*options); });
}

}  // namespace ftcnn::cli
