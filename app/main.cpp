// ftcnn: fault-tolerance studies of CNNs with bit flips in their float32 parameters.
// Subcommands are registered from their own files; errors end as one line on stderr and a non-zero exit.
#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "app/bench_command.hpp"
#include "app/bench_variants_command.hpp"
#include "app/campaign_command.hpp"
#include "app/cli_common.hpp"
#include "app/devices_command.hpp"
#include "app/eval_command.hpp"
#include "app/harden_command.hpp"
#include "app/info_command.hpp"
#include "app/profile_command.hpp"
#include "app/prune_command.hpp"
#include "app/vuln_command.hpp"
#include "engine/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"ftcnn: fault-tolerance studies of CNNs under bit flips in their float32 parameters"};
  app.set_version_flag("--version", ftcnn::cli::version());
  app.require_subcommand(1);
  ftcnn::cli::register_info_command(app);
  ftcnn::cli::register_eval_command(app);
  ftcnn::cli::register_campaign_command(app);
  ftcnn::cli::register_replay_command(app);
  ftcnn::cli::register_devices_command(app);
  ftcnn::cli::register_bench_command(app);
  ftcnn::cli::register_bench_variants_command(app);
  ftcnn::cli::register_vuln_command(app);
  ftcnn::cli::register_profile_command(app);
  ftcnn::cli::register_harden_command(app);
  ftcnn::cli::register_prune_command(app);
  const auto is_subcommand = [&app](const std::string& name) {
    for (const CLI::App* sub : app.get_subcommands({})) {
      if (sub->get_name() == name) return true;
    }
    return false;
  };
  if (argc > 1 && argv[1][0] != '-' && !is_subcommand(argv[1])) {
    fmt::print(stderr, "ftcnn: error: unknown subcommand '{}' (see --help)\n", argv[1]);
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "ftcnn: error: {} (see --help)\n", e.what());
    return e.get_exit_code() != 0 ? e.get_exit_code() : 2;
  } catch (const ftcnn::Error& e) {
    fmt::print(stderr, "ftcnn: error: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "ftcnn: internal error: {}\n", e.what());
    return 3;
  }
  return 0;
}
