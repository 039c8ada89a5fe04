// Pieces shared by the subcommands: the options every model-reading command takes, output helpers.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "app/command_reply.hpp"
#include "engine/device.hpp"
#include "engine/error.hpp"
#include "engine/io/cifar_dataset.hpp"
#include "engine/io/model_file.hpp"

namespace ftcnn::cli {

struct ModelOptions {
  std::string model;
  std::string arch;
};

// Adds --model (required) and --arch to a subcommand.
void add_model_options(CLI::App& command, ModelOptions& options);
Model load_model_from(const ModelOptions& options);

// Validators with short messages ("must be a positive integer, got 0").
CLI::Validator positive_integer();
CLI::Validator non_negative_integer();
// A seed: decimal digits only, 0 to 2^64 - 1 (no sign, exponent or wrap-around: a log made with one seed is
// never resumed under another that happens to read the same).
CLI::Validator seed_value();

// Runs `body`; an ftcnn::Error it throws goes on as "<flag>: <message>". The engine's messages name the
// problem ("unknown pruning scope 'x' (layer, global)"); the command line adds the flag the value came from.
template <typename Body>
auto with_flag(const std::string& flag, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Error& e) {
    throw Error(flag + ": " + e.what());
  }
}

// --images N and --evenly-spaced, the same in every command that reads images: the first N images of the
// split, or N spread evenly over it (image k of N is image k * total / N, so every part of a file whose
// images are sorted, by class say, is represented). count 0: all of them.
struct ImageSelection {
  int64_t count = 0;
  bool evenly_spaced = false;
};
// Adds both flags; `what` says what the images are for, and the default ("the test images each repetition
// classifies (default: all)").
void add_image_selection(CLI::App& command, ImageSelection& selection, const std::string& what,
                         const std::string& names = "--images");
// The selected images of a split.
Dataset load_selected_images(const std::string& directory, const std::string& split,
                             const ImageSelection& selection);
// "the first 48 of 1000 images", "48 of 1000 images, evenly spaced".
std::string describe_selection(const ImageSelection& selection, int64_t selected, int64_t total);

// Where vuln, prune and harden take channel scores from: `--scores SOURCE`, one of `methods` (computed) or
// else a file path (a file written by ftcnn vuln --out). Exactly one of the two is set; a text that is
// neither a method nor an existing file is refused naming the methods.
struct ScoreSource {
  std::string method;
  std::string file;
};
ScoreSource score_source(const std::string& text, const std::vector<std::string>& methods);

// Throws "--device cuda: <why>" when `device` is cuda and this build or machine cannot run it.
void require_device(Device device);

// A JSON object from text, or an empty object when the text is not one (a provenance string from a file).
nlohmann::json parse_object(const std::string& text);

// The provenance of a model that `command` derived from `source` (harden, prune): the tool and version, the
// time, the source model's path, checksum and own provenance, and `what` under the key `key`.
nlohmann::json derived_provenance(const std::string& command, const Model& source, const std::string& key,
                                  const nlohmann::json& what);

// 21622154 -> "21,622,154".
std::string group_digits(int64_t value);

// The version string recorded in every result ("0.1.0").
std::string version();

}  // namespace ftcnn::cli
