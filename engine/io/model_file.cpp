#include "engine/io/model_file.hpp"

#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/error.hpp"
#include "engine/io/foreign_model.hpp"
#include "engine/io/hdf5_file.hpp"
#include "engine/io/json_fields.hpp"
#include "models/architectures.hpp"

namespace ftcnn {
namespace {

constexpr const char* kFormatName = "ftcnn-model";
// 2: every node names its inputs (a DAG). 1: a chain without "inputs"; still read.
constexpr int64_t kFormatVersion = 2;
constexpr int64_t kOldestFormatVersion = 1;

std::vector<float> parse_float_list(const std::string& text, const std::string& what) {
  std::vector<float> values;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    size_t used = 0;
    float value = 0;
    try {
      value = std::stof(item, &used);
    } catch (const std::exception&) {
      used = 0;  // not a number, or outside float32's range
    }
    // The whole item, spaces around it aside: "0.5abc" is refused, not read as 0.5; "inf" too.
    FT_CHECK(used > 0 && item.find_first_not_of(" \t", used) == std::string::npos && std::isfinite(value),
             "{}: '{}' is not a comma-separated list of finite float32 numbers", what, text);
    values.push_back(value);
  }
  return values;
}

// Fills the graph's parameters from `group` ("/" or "parameters/" prefix), checking names and shapes both
// ways.
void read_parameters(const H5File& file, const std::string& group, Graph& graph) {
  ParameterStore& store = graph.parameters();
  const std::string prefix = group == "/" ? "" : group + "/";
  // Parameters are datasets named like "features.0.weight"; a group among them (a nested export,
  // "features/0/weight") would otherwise be passed over without a word.
  for (const std::string& name : file.group_names(group)) {
    FT_THROW(
        "{}: group '{}' among the parameters: each parameter is one dataset named like "
        "'features.0.weight', not a nested group",
        file.path(), prefix + name);
  }
  std::set<std::string> expected;
  for (int i = 0; i < store.size(); ++i) {
    const ParameterInfo& p = store.info(i);
    expected.insert(p.name);
    FT_CHECK(file.has_dataset(prefix + p.name), "{}: missing dataset '{}' (architecture '{}' needs it)",
             file.path(), prefix + p.name, graph.spec().arch);
    const Shape shape = file.dataset_shape(prefix + p.name);
    FT_CHECK(shape == p.shape, "{}: dataset '{}' has shape {} but architecture '{}' needs {}", file.path(),
             prefix + p.name, shape.str(), graph.spec().arch, p.shape.str());
    const Tensor tensor = file.read_tensor(prefix + p.name);
    std::copy(tensor.data(), tensor.data() + tensor.numel(), store.host(i));
  }
  for (const std::string& name : file.dataset_names(group)) {
    const bool bookkeeping = name.size() > 20 && name.rfind(".num_batches_tracked") == name.size() - 20;
    if (group == "/" && (name == "fixture_input" || name == "fixture_output")) continue;  // test fixtures
    FT_CHECK(bookkeeping || expected.count(name) == 1,
             "{}: dataset '{}' is not a parameter of architecture '{}' (wrong --arch?)", file.path(),
             prefix + name, graph.spec().arch);
  }
}

Model load_ftcnn_model(const H5File& file) {
  const int64_t version = file.int_attribute("format_version").value_or(-1);
  FT_CHECK(version >= kOldestFormatVersion && version <= kFormatVersion,
           "{}: unsupported ftcnn model format version {} (this ftcnn reads {} to {})", file.path(), version,
           kOldestFormatVersion, kFormatVersion);
  auto require = [&](const char* name) {
    auto value = file.string_attribute(name);
    FT_CHECK(value.has_value(), "{}: missing attribute '{}'", file.path(), name);
    return *value;
  };
  Model model;
  model.graph = std::make_unique<Graph>(model_spec_from_json(require("architecture"), file.path(), version));
  model.info.source_format = kFormatName;
  model.info.dataset = file.string_attribute("dataset").value_or("");
  model.info.provenance_json = file.string_attribute("provenance").value_or("{}");
  try {
    const auto names = nlohmann::json::parse(file.string_attribute("class_names").value_or("[]"));
    model.info.class_names = names.get<std::vector<std::string>>();
    const auto pre = nlohmann::json::parse(require("preprocessing"));
    const std::string where = file.path() + ": preprocessing";
    model.info.preprocessing.scale = json_float(pre.at("scale"), where + " 'scale'");
    const auto floats = [&](const char* key) {
      const nlohmann::json& list = pre.at(key);
      FT_CHECK(list.is_array(), "{} '{}' must be a list of numbers, got {}", where, key, list.dump());
      std::vector<float> values;
      for (const nlohmann::json& v : list)
        values.push_back(json_float(v, fmt::format("{} '{}'", where, key)));
      return values;
    };
    model.info.preprocessing.mean = floats("mean");
    model.info.preprocessing.std = floats("std");
    for (float s : model.info.preprocessing.std)
      FT_CHECK(s != 0.0f, "{} 'std' holds a 0: inputs would be divided by zero", where);
    const auto provenance = nlohmann::json::parse(model.info.provenance_json);
    if (provenance.is_object() && provenance.contains("test_accuracy")) {
      model.info.test_accuracy = json_number(provenance.at("test_accuracy"), where + " test_accuracy");
    }
  } catch (const nlohmann::json::exception& e) {
    FT_THROW("{}: malformed metadata attribute: {}", file.path(), e.what());
  }
  FT_CHECK(file.has_group("parameters"), "{}: missing group 'parameters'", file.path());
  read_parameters(file, "parameters", *model.graph);
  return model;
}

Model load_state_dict(const H5File& file, const std::string& arch_argument) {
  const std::string arch_attribute = file.string_attribute("arch").value_or("");
  FT_CHECK(!arch_argument.empty() || !arch_attribute.empty(),
           "{}: a PyTorch state_dict file without an 'arch' attribute needs --arch", file.path());
  FT_CHECK(arch_argument.empty() || arch_attribute.empty() || arch_argument == arch_attribute,
           "{}: --arch {} disagrees with the file's arch attribute '{}'", file.path(), arch_argument,
           arch_attribute);
  const std::string arch = arch_argument.empty() ? arch_attribute : arch_argument;
  Model model;
  model.graph = std::make_unique<Graph>(build_architecture(arch));
  model.info.source_format = "pytorch-state-dict";
  model.info.dataset = file.string_attribute("dataset").value_or("");
  model.info.class_names = known_class_names(model.info.dataset);
  const int64_t channels = model.graph->spec().input[0];
  auto channel_list = [&](const char* name, float fallback) {
    const auto text = file.string_attribute(name);
    std::vector<float> values =
        text ? parse_float_list(*text, fmt::format("{}: attribute '{}'", file.path(), name))
             : std::vector<float>(static_cast<size_t>(channels), fallback);
    FT_CHECK(static_cast<int64_t>(values.size()) == channels,
             "{}: attribute '{}' has {} values for {} channels", file.path(), name, values.size(), channels);
    return values;
  };
  model.info.preprocessing.mean = channel_list("mean", 0.0f);
  model.info.preprocessing.std = channel_list("std", 1.0f);
  for (float s : model.info.preprocessing.std)
    FT_CHECK(s != 0.0f, "{}: attribute 'std' holds a 0: inputs would be divided by zero", file.path());
  if (auto accuracy = file.float_attribute("test_accuracy")) model.info.test_accuracy = *accuracy;
  model.info.provenance_json =
      nlohmann::json{{"source", file.path()}, {"source_format", "pytorch-state-dict"}, {"arch", arch}}.dump();
  read_parameters(file, "/", *model.graph);
  return model;
}

}  // namespace

Model load_model(const std::string& path, const std::string& arch) {
  const std::string foreign = foreign_model_problem(path);
  FT_CHECK(foreign.empty(), "{}", foreign);
  const H5File file = H5File::open_read(path);
  const std::string format = file.string_attribute("format").value_or("");
  Model model;
  if (format == kFormatName) {
    model = load_ftcnn_model(file);
    FT_CHECK(arch.empty() || arch == model.graph->spec().arch,
             "{}: --arch {} disagrees with the file's architecture '{}'", path, arch,
             model.graph->spec().arch);
  } else {
    FT_CHECK(format.empty(), "{}: unknown format attribute '{}'", path, format);
    model = load_state_dict(file, arch);
  }
  FT_CHECK(model.info.preprocessing.mean.size() == model.info.preprocessing.std.size(),
           "{}: preprocessing has {} mean but {} std values", path, model.info.preprocessing.mean.size(),
           model.info.preprocessing.std.size());
  for (float s : model.info.preprocessing.std)
    FT_CHECK(s > 0.0f, "{}: preprocessing std must be positive", path);
  // NaN, Inf, or a float64 value beyond float32's range (read as Inf): every result would carry it.
  const ParameterStore& store = model.graph->parameters();
  int64_t non_finite = 0;
  std::string first;
  for (int i = 0; i < store.size(); ++i) {
    const float* values = store.host(i);
    for (int64_t k = 0; k < store.info(i).numel(); ++k) {
      if (std::isfinite(values[k])) continue;
      if (non_finite++ == 0) first = store.info(i).name;
    }
  }
  if (non_finite > 0) {
    warn(fmt::format("{}: {} parameter values are NaN or Inf (or overflow float32), the first in '{}'", path,
                     non_finite, first));
  }
  model.path = path;
  return model;
}

void save_model(const std::string& path, const Graph& graph, const ModelInfo& info) {
  write_hdf5_file(path, [&](H5File& file) {
    file.write_string_attribute("format", kFormatName);
    file.write_int_attribute("format_version", kFormatVersion);
    file.write_string_attribute("architecture", model_spec_to_json(graph.spec()));
    file.write_string_attribute("dataset", info.dataset);
    file.write_string_attribute("class_names", nlohmann::json(info.class_names).dump());
    file.write_string_attribute("preprocessing", nlohmann::json{{"scale", info.preprocessing.scale},
                                                                {"mean", info.preprocessing.mean},
                                                                {"std", info.preprocessing.std}}
                                                     .dump());
    file.write_string_attribute("provenance", info.provenance_json);
    file.create_group("parameters");
    const ParameterStore& store = graph.parameters();
    for (int i = 0; i < store.size(); ++i) {
      file.write_tensor("parameters/" + store.info(i).name, store.info(i).shape, store.host(i));
    }
  });
}

std::vector<std::string> known_class_names(const std::string& dataset) {
  if (dataset == "cifar10") {
    return {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
  }
  if (dataset == "cifar100") {
    return {"apple",       "aquarium_fish", "baby",      "bear",       "beaver",       "bed",
            "bee",         "beetle",        "bicycle",   "bottle",     "bowl",         "boy",
            "bridge",      "bus",           "butterfly", "camel",      "can",          "castle",
            "caterpillar", "cattle",        "chair",     "chimpanzee", "clock",        "cloud",
            "cockroach",   "couch",         "crab",      "crocodile",  "cup",          "dinosaur",
            "dolphin",     "elephant",      "flatfish",  "forest",     "fox",          "girl",
            "hamster",     "house",         "kangaroo",  "keyboard",   "lamp",         "lawn_mower",
            "leopard",     "lion",          "lizard",    "lobster",    "man",          "maple_tree",
            "motorcycle",  "mountain",      "mouse",     "mushroom",   "oak_tree",     "orange",
            "orchid",      "otter",         "palm_tree", "pear",       "pickup_truck", "pine_tree",
            "plain",       "plate",         "poppy",     "porcupine",  "possum",       "rabbit",
            "raccoon",     "ray",           "road",      "rocket",     "rose",         "sea",
            "seal",        "shark",         "shrew",     "skunk",      "skyscraper",   "snail",
            "snake",       "spider",        "squirrel",  "streetcar",  "sunflower",    "sweet_pepper",
            "table",       "tank",          "telephone", "television", "tiger",        "tractor",
            "train",       "trout",         "tulip",     "turtle",     "wardrobe",     "whale",
            "willow_tree", "wolf",          "woman",     "worm"};
  }
  return {};
}

}  // namespace ftcnn
