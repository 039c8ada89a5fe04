#include "app/profile_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "app/cli_common.hpp"
#include "app/progress_bar.hpp"
#include "app/utc_time.hpp"
#include "engine/batches.hpp"
#include "engine/interval_profile.hpp"
#include "engine/io/cifar_dataset.hpp"
#include "engine/io/interval_file.hpp"

namespace ftcnn::cli {
namespace {

struct ProfileOptions {
  ModelOptions model;
  std::string data;
  std::string split = "train";
  ImageSelection images;
  int64_t batch = 256;
  int threads = 0;
  std::string out;
  bool json = false;
};

void run_profile(const ProfileOptions& options) {
  Model model = load_model_from(options.model);
  Graph& graph = *model.graph;
  IntervalProfiler profiler(graph, options.threads);  // refuses a hardened model before the data is read
  const Dataset data = load_selected_images(options.data, options.split, options.images);
  FT_CHECK(data.count > 0, "{}: no images", options.data);
  FT_CHECK(graph.spec().input == data.item, "model '{}' takes inputs {} but {} holds images {}",
           graph.spec().arch, graph.spec().input.str(), data.source, data.item.str());
  const Preprocessing& pre = model.info.preprocessing;
  const int64_t batch = std::min(options.batch, data.count);
  std::vector<float> input(static_cast<size_t>(batch * data.item.numel()));
  ProgressBar bar("profile", data.count, "img");
  for_each_batch(data.count, batch, [&](int64_t first, int64_t count) {
    preprocess_images(data, first, count, pre.scale, pre.mean, pre.std, input.data());
    profiler.add(input.data(), count);
    bar.update(first + count);
  });
  bar.finish();

  IntervalProfile profile = profiler.profile();
  const std::string checksum = graph.parameters().checksum_hex();
  nlohmann::json provenance = {{"created_by", "ftcnn profile " + version()},
                               {"created", utc_now()},
                               {"model", model.path},
                               {"model_checksum", checksum},
                               {"data", data.source},
                               {"split", options.split},
                               {"images", profile.images}};
  if (options.images.evenly_spaced) provenance["selection"] = "evenly spaced";  // absent: the first ones
  profile.provenance_json = provenance.dump();
  write_interval_file(options.out, profile);

  nlohmann::json layers = nlohmann::json::array();
  for (const LayerInterval& l : profile.layers) {
    layers.push_back({{"layer", l.layer},
                      {"channels", l.lower.size()},
                      {"min_lower", *std::min_element(l.lower.begin(), l.lower.end())},
                      {"max_upper", *std::max_element(l.upper.begin(), l.upper.end())}});
  }
  if (options.json) {
    print_json({{"command", "profile"},
                {"model", model.path},
                {"model_checksum", checksum},
                {"data", data.source},
                {"split", options.split},
                {"images", profile.images},
                {"out", options.out},
                {"layers", layers},
                {"version", version()}});
    return;
  }
  fmt::print("{}: intervals of {} layers over {} images of {} ({} split)\n", options.out, layers.size(),
             profile.images, data.source, options.split);
  fmt::print("{:<20} {:>9} {:>14} {:>14}\n", "layer", "channels", "lowest", "highest");
  for (const auto& l : layers) {
    fmt::print("{:<20} {:>9} {:>14.6g} {:>14.6g}\n", l["layer"].get<std::string>(),
               l["channels"].get<size_t>(), l["min_lower"].get<float>(), l["max_upper"].get<float>());
  }
}

}  // namespace

void register_profile_command(CLI::App& app) {
  auto options = std::make_shared<ProfileOptions>();
  CLI::App* command = app.add_subcommand(
      "profile",
      "Profile the EDAC detection intervals of a model (per channel min and max of conv/linear outputs)");
  add_model_options(*command, options->model);
  command
      ->add_option("--data", options->data,
                   "CIFAR binary or python folder, or an .npz/.h5 of images and labels (docs/datasets.md)")
      ->required();
  command->add_option("--split", options->split, "train (default, as the paper) or test")
      ->check(CLI::IsMember({"test", "train"}));
  add_image_selection(*command, options->images, "the images to profile (default: all)");
  command->add_option("--batch", options->batch, "images per forward pass (default 256)")
      ->check(positive_integer());
  command->add_option("--threads", options->threads, "CPU threads (default: all)")
      ->check(non_negative_integer());
  command->add_option("--out", options->out, "the interval file to write (HDF5)")->required();
  command->add_flag("--json", options->json, "print one JSON object on stdout");
  command->callback([options] { run_profile(*options); });
}

}  // namespace ftcnn::cli
