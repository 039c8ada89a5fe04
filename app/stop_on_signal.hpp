// Ctrl-C (SIGINT) and SIGTERM (what Slurm sends at a job's time limit or on scancel, and `kill`'s default)
// during a long run: the first asks the run to stop at its next safe point (a campaign: once the repetition
// in flight is logged), so that the output stays complete up to there and a rerun resumes; a second ends
// the process at once (the handler is reset to the default action on the first).
#pragma once

#include <signal.h>

#include <stdexcept>
#include <string>

namespace ftcnn::cli {

class StopOnSignal {
 public:
  StopOnSignal();   // catches SIGINT and SIGTERM
  ~StopOnSignal();  // puts the previous handlers back
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

  bool requested() const;
  int signal_number() const;  // 0 while none came

 private:
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

// "SIGINT", "SIGTERM", or "signal N".
std::string signal_name(int signal_number);

// A command that stopped early on a signal: cli::run prints the message as one line and exits with
// 128 + the signal's number (130 for SIGINT, 143 for SIGTERM), as a shell reports a command a signal ended.
class Interrupted : public std::runtime_error {
 public:
  Interrupted(int signal_number, const std::string& message)
      : std::runtime_error(message), signal_number_(signal_number) {}
  int exit_status() const { return 128 + signal_number_; }

 private:
  int signal_number_;
};

}  // namespace ftcnn::cli
