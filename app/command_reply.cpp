#include "app/command_reply.hpp"

#include <iostream>

#include "engine/error.hpp"

namespace ftcnn::cli {
namespace {

ReplyCapture* active_capture = nullptr;

}  // namespace

ReplyCapture::ReplyCapture() {
  FT_CHECK(active_capture == nullptr, "one command at a time: a reply is already being captured");
  active_capture = this;
}

ReplyCapture::~ReplyCapture() {
  active_capture = nullptr;
}

bool reply_captured() {
  return active_capture != nullptr;
}

void offer_array(const std::string& name, ReplyArray array) {
  if (active_capture != nullptr) active_capture->arrays[name] = std::move(array);
}

void print_json(const nlohmann::json& object) {
  if (active_capture != nullptr) {
    active_capture->reply = object;
    return;
  }
  std::cout << object.dump(2) << std::endl;
}

}  // namespace ftcnn::cli
