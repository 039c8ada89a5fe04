#include "app/progress_bar.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace ftcnn::cli {

namespace {

bool silenced = false;

}  // namespace

void set_progress_silenced(bool value) {
  silenced = value;
}

std::chrono::microseconds progress_line_interval() {
  const char* text = std::getenv("FTCNN_PROGRESS_SECONDS");
  constexpr std::chrono::microseconds kDefault(60'000'000);
  if (text == nullptr || *text == '\0') return kDefault;
  char* end = nullptr;
  const double seconds = std::strtod(text, &end);
  if (*end != '\0' || !std::isfinite(seconds) || seconds < 0 || seconds > 1e9) return kDefault;
  if (seconds == 0) return std::chrono::microseconds(0);
  // Any positive interval, however small, means lines: at least a microsecond.
  return std::chrono::microseconds(std::max<int64_t>(1, static_cast<int64_t>(seconds * 1e6)));
}

ProgressBar::ProgressBar(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      terminal_(isatty(STDERR_FILENO) == 1),
      interval_(silenced    ? std::chrono::microseconds(0)
                : terminal_ ? std::chrono::microseconds(100'000)
                            : progress_line_interval()) {
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

ProgressBar::~ProgressBar() {
  finish();
}

std::string ProgressBar::line(int64_t done, const std::string& detail, int64_t untimed,
                              double elapsed) const {
  const double rate = elapsed > 0 ? static_cast<double>(done - untimed - timed_base_) / elapsed : 0.0;
  const std::string left = rate > 0 ? fmt::format("{:.0f} s left", static_cast<double>(total_ - done) / rate)
                                    : "time left unknown";
  const std::string what = detail.empty() ? "" : ", " + detail;
  if (!terminal_) {
    return fmt::format("{}: {}/{} {}{}, {:.2f} {}/s, {}{}", label_, done, total_, unit_,
                       untimed > 0 ? fmt::format(" ({} resumed)", untimed) : "", rate, unit_, left, what);
  }
  constexpr int kWidth = 30;
  const int filled = total_ > 0 ? static_cast<int>(kWidth * done / total_) : kWidth;
  return fmt::format("\r{} [{}{}] {}/{} {:.1f} {}/s, {}{}   ", label_, std::string(filled, '#'),
                     std::string(kWidth - filled, '.'), done, total_, rate, unit_, left, what);
}

void ProgressBar::update(int64_t done, const std::string& detail, int64_t untimed) {
  if (finished_ || interval_.count() == 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (!timing_) {
    // The rate counts from the first update on: what came before it (loading, a golden run) is no part of
    // the work left.
    timing_ = true;
    timed_base_ = done - untimed;
    start_ = now;
  }
  // A terminal shows the last state at once; a log gets a line per interval, not one at the end (the
  // command's own output says it finished).
  const bool last = terminal_ && done >= total_;
  if (!last && now - last_draw_ < interval_) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  fmt::print(stderr, "{}{}", line(done, detail, untimed, elapsed), terminal_ ? "" : "\n");
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (terminal_ && drawn_ && !finished_) fmt::print(stderr, "\n");
  finished_ = true;
}

}  // namespace ftcnn::cli
