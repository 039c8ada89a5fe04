#include "app/stop_on_signal.hpp"

#include "app/embedding.hpp"

#include <csignal>
#include <string>

namespace ftcnn::cli {
namespace {

volatile std::sig_atomic_t g_signal = 0;

extern "C" void remember_signal(int signal_number) {
  g_signal = signal_number;
}

}  // namespace

StopOnSignal::StopOnSignal() {
  g_signal = 0;
  struct sigaction action {};
  action.sa_handler = remember_signal;
  sigemptyset(&action.sa_mask);
  // One request; the next signal takes the default action (ends the process), except inside Python, whose
  // process (a notebook's kernel) must outlive the campaign. SA_RESTART: a read or write in flight goes on
  // instead of failing with EINTR.
  action.sa_flags = embedded() ? SA_RESTART : SA_RESETHAND | SA_RESTART;
  sigaction(SIGINT, &action, &previous_int_);
  sigaction(SIGTERM, &action, &previous_term_);
}

StopOnSignal::~StopOnSignal() {
  sigaction(SIGINT, &previous_int_, nullptr);
  sigaction(SIGTERM, &previous_term_, nullptr);
}

bool StopOnSignal::requested() const {
  return g_signal != 0;
}

int StopOnSignal::signal_number() const {
  return static_cast<int>(g_signal);
}

std::string signal_name(int signal_number) {
  if (signal_number == SIGINT) return "SIGINT";
  if (signal_number == SIGTERM) return "SIGTERM";
  return "signal " + std::to_string(signal_number);
}

}  // namespace ftcnn::cli
