#include "app/cli_app.hpp"

#include <fmt/format.h>

#include <new>

#include "app/bench_command.hpp"
#include "app/bench_variants_command.hpp"
#include "app/campaign_command.hpp"
#include "app/cli_common.hpp"
#include "app/command_examples.hpp"
#include "app/devices_command.hpp"
#include "app/eval_command.hpp"
#include "app/flag_suggestion.hpp"
#include "app/harden_command.hpp"
#include "app/info_command.hpp"
#include "app/merge_command.hpp"
#include "app/profile_command.hpp"
#include "app/progress_bar.hpp"
#include "app/prune_command.hpp"
#include "app/stop_on_signal.hpp"
#include "app/vuln_command.hpp"
#include "engine/error.hpp"

namespace ftcnn::cli {

std::unique_ptr<CLI::App> make_app() {
  auto app = std::make_unique<CLI::App>(
      "ftcnn: fault-tolerance studies of CNNs under bit flips in their float32 parameters");
  app->set_version_flag("--version", version());
  app->require_subcommand(1);
  // Every option's default in --help ("[100]"); subcommands inherit it when they are made, below.
  app->option_defaults()->always_capture_default();
  register_info_command(*app);
  register_eval_command(*app);
  register_campaign_command(*app);
  register_replay_command(*app);
  register_merge_command(*app);
  register_devices_command(*app);
  register_bench_command(*app);
  register_bench_variants_command(*app);
  register_vuln_command(*app);
  register_profile_command(*app);
  register_harden_command(*app);
  register_prune_command(*app);
  add_examples(*app);
  app->footer(
      "Exit status: 0 done; 1 an error (bad input, a failed write, out of memory: one line on stderr names "
      "it);\n"
      "2 a usage error (an unknown flag or subcommand, a missing or malformed flag value); 3 an internal "
      "error\n"
      "(a bug: please report it with the command); 130 / 143 a campaign stopped by SIGINT / SIGTERM (rerun "
      "the\n"
      "same command to resume).\n"
      "Every subcommand's --help ends with an example that runs from the repository root.");
  return app;
}

Outcome execute(int argc, char** argv) {
  const std::unique_ptr<CLI::App> app = make_app();
  // Before or after the subcommand (fallthrough): errors then name the source line that raised them.
  bool verbose = false;
  app->add_flag("--verbose", verbose, "errors also name the source location that raised them");
  set_progress_silenced(false);  // a previous command in this process (Python) may have set it
  app->add_flag_callback(
      "--quiet", [] { set_progress_silenced(true); }, "no progress bar or progress lines on stderr");
  for (CLI::App* sub : app->get_subcommands({})) sub->fallthrough();
  const auto is_subcommand = [&app](const std::string& name) {
    for (const CLI::App* sub : app->get_subcommands({})) {
      if (sub->get_name() == name) return true;
    }
    return false;
  };
  if (argc > 1 && argv[1][0] != '-' && !is_subcommand(argv[1])) {
    return {2, fmt::format("ftcnn: error: unknown subcommand '{}' (see --help)", argv[1])};
  }
  try {
    app->parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return {app->exit(e), ""};
  } catch (const CLI::CallForAllHelp& e) {
    return {app->exit(e), ""};
  } catch (const CLI::CallForVersion& e) {
    return {app->exit(e), ""};
  } catch (const CLI::ParseError& e) {
    // A usage error, whatever CLI11's own code for its kind (106, 109, ...): 2, as for any Unix tool.
    std::string message = e.what();
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
      for (const CLI::App* sub : app->get_subcommands()) {
        const std::string suggestion = suggest_flag(*sub, argc, argv, 2);
        if (!suggestion.empty()) message = suggestion;
      }
    }
    return {2, fmt::format("ftcnn: error: {} (see {} --help)", message,
                           app->get_subcommands().empty()
                               ? "ftcnn"
                               : "ftcnn " + app->get_subcommands().front()->get_name())};
  } catch (const Interrupted& e) {
    return {e.exit_status(), fmt::format("ftcnn: {}", e.what())};
  } catch (const Error& e) {
    if (verbose && !e.where().empty()) return {1, fmt::format("ftcnn: error: {} [{}]", e.what(), e.where())};
    return {1, fmt::format("ftcnn: error: {}", e.what())};
  } catch (const std::bad_alloc&) {
    // Sizes from files and flags are checked before they are allocated; what is left is a machine (or a
    // ulimit) with less memory free than the job needs.
    return {1,
            "ftcnn: error: out of memory (fewer --images, a smaller --batch, or at a high BER no "
            "--log-faults, need less)"};
  } catch (const std::exception& e) {
    return {3, fmt::format("ftcnn: internal error: {}", e.what())};
  }
  return {0, ""};
}

int run(int argc, char** argv) {
  const Outcome outcome = execute(argc, argv);
  if (!outcome.message.empty()) fmt::print(stderr, "{}\n", outcome.message);
  return outcome.status;
}

}  // namespace ftcnn::cli
