// A one-line progress bar on stderr for long runs: only when stderr is a terminal, at most ~10 redraws a
// second, with the rate and the time left. Silent otherwise, so logs and --json output stay clean.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ftcnn::cli {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total, std::string unit);
  ~ProgressBar();
  void update(int64_t done);
  void finish();

 private:
  std::string label_, unit_;
  int64_t total_;
  bool enabled_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace ftcnn::cli
