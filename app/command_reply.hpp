// Where a command's reply goes. On the command line: its JSON object to stdout (print_json). Inside the
// Python module (bindings/python_module.cpp): a ReplyCapture takes the object, and the arrays a command
// offers (eval's logits, labels and predictions), so that Python receives them without a parse of stdout
// or a copy of the arrays.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace ftcnn::cli {

struct ReplyArray {
  std::variant<std::vector<float>, std::vector<int32_t>> values;
  std::vector<int64_t> shape;
};

// While one exists, print_json hands its object here instead of printing it, and offer_array keeps what it
// is given. One at a time (the Python module runs one command at a time).
class ReplyCapture {
 public:
  ReplyCapture();
  ~ReplyCapture();
  ReplyCapture(const ReplyCapture&) = delete;
  ReplyCapture& operator=(const ReplyCapture&) = delete;

  std::optional<nlohmann::json> reply;
  std::map<std::string, ReplyArray> arrays;
};

// Whether a ReplyCapture exists: a command then keeps the arrays it offers (which it would drop otherwise).
bool reply_captured();

// Hands `array` to the ReplyCapture under `name`; without one, does nothing.
void offer_array(const std::string& name, ReplyArray array);

// Prints one JSON object on stdout, or hands it to the ReplyCapture.
void print_json(const nlohmann::json& object);

}  // namespace ftcnn::cli
