// Progress of a long run on stderr. On a terminal: one bar redrawn at most ~10 times a second, with the
// rate and the time left. Elsewhere (stderr sent to a file, as in Slurm and nohup jobs): one plain line
// every FTCNN_PROGRESS_SECONDS seconds (default 60; 0: none), so that a job's log shows it is alive and
// when it will end. stdout (results, --json) never gets any of it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ftcnn::cli {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total, std::string unit);
  ~ProgressBar();
  // `done` of `total` complete, `untimed` of them not done now (a resumed campaign's logged repetitions:
  // they do not count in the rate); `detail` says what runs ("BER 1e-05").
  void update(int64_t done, const std::string& detail = "", int64_t untimed = 0);
  // Ends the bar's line (a terminal); nothing more is drawn.
  void finish();

 private:
  std::string line(int64_t done, const std::string& detail, int64_t untimed, double elapsed) const;

  std::string label_, unit_;
  int64_t total_;
  bool terminal_;
  std::chrono::microseconds interval_;  // between draws (terminal) or lines (elsewhere); 0: none
  bool timing_ = false;                 // the first update came: start_ and timed_base_ are set
  int64_t timed_base_ = 0;              // units done now at the first update
  bool drawn_ = false;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// --quiet: no bar and no progress lines from now on (until set false: the next command of the Python
// module starts unsilenced).
void set_progress_silenced(bool silenced);

// The interval between progress lines when stderr is not a terminal: FTCNN_PROGRESS_SECONDS (a number of
// seconds >= 0), 60 s when unset or not a number.
std::chrono::microseconds progress_line_interval();

}  // namespace ftcnn::cli
