#include "engine/error.hpp"

#include <cstdio>

namespace ftcnn {

void throw_error(const char* file, int line, const std::string& message) {
  throw Error(message, fmt::format("{}:{}", file, line));
}

void warn(const std::string& message) noexcept {
  std::fprintf(stderr, "ftcnn: warning: %s\n", message.c_str());
}

void report_in_destructor(const char* file, int line, const std::string& message) noexcept {
  std::fprintf(stderr, "ftcnn: warning: %s [%s:%d]\n", message.c_str(), file, line);
}

}  // namespace ftcnn
