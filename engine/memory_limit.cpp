#include "engine/memory_limit.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>

#include "engine/error.hpp"

namespace ftcnn {

int64_t memory_limit_bytes() {
  if (const char* text = std::getenv("FTCNN_MEMORY_LIMIT_GIB")) {
    char* end = nullptr;
    const double gib = std::strtod(text, &end);
    FT_CHECK(end != text && *end == '\0' && gib > 0 && gib < 1e9,
             "FTCNN_MEMORY_LIMIT_GIB must be a positive number of GiB, got '{}'", text);
    return static_cast<int64_t>(gib * 1024 * 1024 * 1024);
  }
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return INT64_MAX;
  return static_cast<int64_t>(pages) * page;
}

namespace {

// A number from a one-line file (cgroup files), or -1 when absent or not a number ("max").
int64_t number_in_file(const char* path) {
  std::ifstream in(path);
  int64_t value = -1;
  if (!(in >> value)) return -1;
  return value;
}

}  // namespace

int64_t available_memory_bytes() {
  int64_t available = -1;
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  int64_t kib = 0;
  while (meminfo >> key >> kib) {
    if (key == "MemAvailable:") {
      available = kib * 1024;
      break;
    }
    meminfo.ignore(64, '\n');
  }
  if (available < 0) {
    const long pages = ::sysconf(_SC_AVPHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
    available = pages > 0 && page > 0 ? static_cast<int64_t>(pages) * page : 0;
  }
  // A job's own limit (Slurm --mem, a container): cgroup v2, else v1.
  int64_t limit = number_in_file("/sys/fs/cgroup/memory.max");
  int64_t used = number_in_file("/sys/fs/cgroup/memory.current");
  if (limit < 0) {
    limit = number_in_file("/sys/fs/cgroup/memory/memory.limit_in_bytes");
    used = number_in_file("/sys/fs/cgroup/memory/memory.usage_in_bytes");
  }
  if (limit > 0 && used >= 0) available = std::min(available, std::max<int64_t>(limit - used, 0));
  return std::min(available, memory_limit_bytes());
}

void check_fits_memory(int64_t bytes, const std::string& what) {
  const int64_t limit = memory_limit_bytes();
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  FT_CHECK(
      bytes >= 0 && bytes <= limit,
      "{} needs {:.1f} GiB, more than the {:.1f} GiB this machine has (FTCNN_MEMORY_LIMIT_GIB overrides)",
      what, bytes < 0 ? INFINITY : static_cast<double>(bytes) / kGiB, static_cast<double>(limit) / kGiB);
}

int64_t checked_product(int64_t a, int64_t b, const std::string& what) {
  int64_t product = 0;
  FT_CHECK(a >= 0 && b >= 0 && !__builtin_mul_overflow(a, b, &product), "{}: {} x {} is too large", what, a,
           b);
  return product;
}

}  // namespace ftcnn
