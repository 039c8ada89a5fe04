// The ftcnn command line: every subcommand registered on one CLI::App, and the run that turns its errors
// into one line on stderr and an exit status (main.cpp; the flag-parser fuzz target builds the same app).
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

namespace ftcnn::cli {

// The app with every subcommand and its flags; parsing it runs the chosen subcommand.
std::unique_ptr<CLI::App> make_app();
// What a command line came to: its exit status, and the one line that says why when it is not 0 (empty
// when done, and after --help or --version, which print themselves).
struct Outcome {
  int status = 0;
  std::string message;
};
// Parses the arguments and runs the subcommand (the Python module calls this).
Outcome execute(int argc, char** argv);
// execute, then the message on stderr: the exit status of `ftcnn`. Exit status (README "Exit status"): 0
// done, 1 an error (bad input, a failed write, out of memory), 2 a usage error (the command line), 3 an
// internal error (a bug), 128 + N a run stopped early by signal N (130 SIGINT, 143 SIGTERM); the message is
// one line on stderr.
int run(int argc, char** argv);

}  // namespace ftcnn::cli
