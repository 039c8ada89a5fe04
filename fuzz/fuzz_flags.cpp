// The command line: the input, split at newlines, is the argument list after "ftcnn", parsed by the app the
// executable builds (every subcommand, flag and validator), stopping before a subcommand's body runs; and
// each argument is also given to the parsers of list-valued flags (--ber, bench --batch, --targets).
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/cli_app.hpp"
#include "app/flag_lists.hpp"
#include "engine/fault/fault_targets.hpp"
#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ftcnn::fuzz::initialize_fuzz_target();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> arguments{"ftcnn"};
  std::string current;
  for (size_t i = 0; i < size && arguments.size() < 64; ++i) {
    if (data[i] == '\n') {
      arguments.push_back(current);
      current.clear();
    } else {
      current.push_back(static_cast<char>(data[i]));
    }
  }
  arguments.push_back(current);
  ftcnn::fuzz::expect_clean_outcome([&] {
    const std::unique_ptr<CLI::App> app = ftcnn::cli::make_app();
    // The app's own parse-complete callback runs after every flag is parsed and validated and before any
    // subcommand's body: ending there parses all and runs nothing (the bodies, and the options they own,
    // stay as they are).
    struct Parsed {};
    app->parse_complete_callback([] { throw Parsed{}; });
    std::vector<const char*> argv;
    for (const std::string& a : arguments) argv.push_back(a.c_str());
    try {
      app->parse(static_cast<int>(argv.size()), argv.data());
    } catch (const Parsed&) {
    } catch (const CLI::Error&) {
      // A refused command line (or --help, --version): CLI11 reports it in one line.
    }
  });
  for (size_t i = 1; i < arguments.size(); ++i) {
    ftcnn::fuzz::expect_clean_outcome([&] { (void)ftcnn::cli::parse_ber_list(arguments[i]); });
    ftcnn::fuzz::expect_clean_outcome([&] { (void)ftcnn::cli::parse_batch_list(arguments[i]); });
    ftcnn::fuzz::expect_clean_outcome([&] { (void)ftcnn::parse_target_selection(arguments[i]); });
  }
  return 0;
}
