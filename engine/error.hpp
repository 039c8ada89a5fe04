// ftcnn's one exception type and the prefixed checking macros.
//
// Every failure, internal or caused by user input, is an ftcnn::Error whose message says what is wrong and
// where (the file, dataset, flag or layer); the source location of the check is kept beside it (`where`),
// for `--verbose`, not in the message. Messages are built with fmt. Destructors never throw: they log
// through report_in_destructor() instead.
#pragma once

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace ftcnn {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, std::string where = "")
      : std::runtime_error(message), where_(std::move(where)) {}
  // "file:line" of the check that failed; "" when not known.
  const std::string& where() const { return where_; }

 private:
  std::string where_;
};

[[noreturn]] void throw_error(const char* file, int line, const std::string& message);

// For cleanup paths that must not throw (destructors): prints the message to stderr.
void report_in_destructor(const char* file, int line, const std::string& message) noexcept;

// A result that would mislead without a word: "ftcnn: warning: <message>" on stderr, one line.
void warn(const std::string& message) noexcept;

}  // namespace ftcnn

#define FT_THROW(...) ::ftcnn::throw_error(__FILE__, __LINE__, ::fmt::format(__VA_ARGS__))

#define FT_CHECK(condition, ...) \
  do {                           \
    if (!(condition)) {          \
      FT_THROW(__VA_ARGS__);     \
    }                            \
  } while (0)
