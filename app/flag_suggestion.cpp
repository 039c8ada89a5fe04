#include "app/flag_suggestion.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

namespace ftcnn::cli {
namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// Every long flag of `command` and of the apps above it (a fallthrough flag such as --verbose).
std::vector<std::string> long_flags(const CLI::App& command) {
  std::vector<std::string> flags;
  for (const CLI::App* app = &command; app != nullptr; app = app->get_parent()) {
    for (const CLI::Option* option : app->get_options()) {
      for (const std::string& name : option->get_lnames()) flags.push_back("--" + name);
    }
  }
  return flags;
}

}  // namespace

std::string suggest_flag(const CLI::App& command, int argc, char** argv, int first) {
  const std::vector<std::string> flags = long_flags(command);
  for (int i = first; i < argc; ++i) {
    std::string token = argv[i];
    if (token.rfind("--", 0) != 0 || token.size() < 3) continue;
    token = token.substr(0, token.find('='));
    if (std::find(flags.begin(), flags.end(), token) != flags.end()) continue;
    std::string best;
    size_t best_distance = 0;
    for (const std::string& flag : flags) {
      const size_t d = edit_distance(token, flag);
      if (best.empty() || d < best_distance) {
        best = flag;
        best_distance = d;
      }
    }
    // A typo or two, or a third of the name: "--imags", "--limt"; not a different word altogether.
    if (!best.empty() && best_distance <= std::max<size_t>(2, token.size() / 3))
      return fmt::format("unknown flag {} (did you mean {}?)", token, best);
    return "";
  }
  return "";
}

}  // namespace ftcnn::cli
