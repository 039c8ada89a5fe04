// Pieces shared by the subcommands: the options every model-reading command takes, output helpers.
#pragma once

#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "engine/device.hpp"
#include "engine/error.hpp"
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

// Throws "--device cuda: <why>" when `device` is cuda and this build or machine cannot run it.
void require_device(Device device);

// Prints one JSON object on stdout.
void print_json(const nlohmann::json& object);

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
