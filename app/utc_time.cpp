#include "app/utc_time.hpp"

#include <cstdlib>
#include <ctime>

namespace ftcnn::cli {

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  if (const char* fixed = std::getenv("SOURCE_DATE_EPOCH")) {
    char* end = nullptr;
    const long long seconds = std::strtoll(fixed, &end, 10);
    if (*fixed != '\0' && *end == '\0' && seconds >= 0) now = static_cast<std::time_t>(seconds);
  }
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace ftcnn::cli
