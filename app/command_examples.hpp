// One worked example per subcommand, shown at the end of its --help. They run as written from the
// repository root on the bundled model and CIFAR-10 slice, in the order listed (later ones read what earlier
// ones wrote under out/); test/test_cli.cpp runs every one of them.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

namespace ftcnn::cli {

// (subcommand, its example's command lines), in an order in which they run.
const std::vector<std::pair<std::string, std::vector<std::string>>>& command_examples();

// Sets every subcommand's --help footer to its example.
void add_examples(CLI::App& app);

}  // namespace ftcnn::cli
