// "did you mean --images?" for a flag a subcommand does not take: the closest of its own flags by edit
// distance, when one is close enough to be a likely typo or an old name.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace ftcnn::cli {

// "unknown flag --imags (did you mean --images?)" for the first unknown "--flag" among argv[first..argc)
// that is close to one of `command`'s flags (`command`: the subcommand that was parsing); "" otherwise.
std::string suggest_flag(const CLI::App& command, int argc, char** argv, int first);

}  // namespace ftcnn::cli
