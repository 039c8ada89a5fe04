#include "engine/fault/shard.hpp"

#include <fmt/format.h>

#include <cctype>

#include "engine/error.hpp"

namespace ftcnn {
namespace {

// A whole decimal number of at most 7 digits, or -1.
int64_t small_number(const std::string& text) {
  if (text.empty() || text.size() > 7) return -1;
  int64_t value = 0;
  for (const char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

std::string Shard::str() const {
  return fmt::format("{}/{}", index, count);
}

Shard shard_from_text(const std::string& text) {
  // Far more processes than any campaign has repetitions to share.
  constexpr int64_t kMaxShards = int64_t{1} << 20;
  const size_t slash = text.find('/');
  const int64_t index = slash == std::string::npos ? -1 : small_number(text.substr(0, slash));
  const int64_t count = slash == std::string::npos ? -1 : small_number(text.substr(slash + 1));
  FT_CHECK(index >= 1 && count >= 1 && index <= count && count <= kMaxShards,
           "shard '{}' is not K/N with 1 <= K <= N <= {} (e.g. 2/8: the second of eight)", text, kMaxShards);
  return Shard{index, count};
}

}  // namespace ftcnn
