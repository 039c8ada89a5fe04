#include "app/command_examples.hpp"

namespace ftcnn::cli {

const std::vector<std::pair<std::string, std::vector<std::string>>>& command_examples() {
  static const std::string m = "--model data/default/small_cifar10.h5",
                           d = "--data data/default/cifar10-test-slice";
  static const std::vector<std::pair<std::string, std::vector<std::string>>> examples = {
      {"info", {"ftcnn info " + m}},
      {"devices", {"ftcnn devices"}},
      {"eval", {"ftcnn eval " + m + " " + d + " --images 500"}},
      {"campaign",
       {"ftcnn campaign " + m + " " + d +
        " --ber 1e-6,1e-5 --reps 20 --images 200 --log-faults --out out/campaign"}},
      {"replay",
       {"ftcnn replay " + m + " " + d + " --faults out/campaign/runs.jsonl --ber 1e-5 --repetition 3"}},
      {"merge",
       {"ftcnn campaign " + m + " " + d + " --ber 1e-5 --reps 20 --images 200 --shard 1/2 --out out/shard-1",
        "ftcnn campaign " + m + " " + d + " --ber 1e-5 --reps 20 --images 200 --shard 2/2 --out out/shard-2",
        "ftcnn merge --out out/merged out/shard-1 out/shard-2"}},
      {"profile", {"ftcnn profile " + m + " " + d + " --split test --out out/intervals.h5"}},
      {"vuln", {"ftcnn vuln " + m + " " + d + " --split test --images 64 --out out/vuln.h5"}},
      {"harden",
       {"ftcnn harden " + m +
        " --ratio 0.15 --scores out/vuln.h5 --intervals out/intervals.h5 --out "
        "out/hardened.h5"}},
      {"prune",
       {"ftcnn prune " + m + " --conv-ratio 0.2 --fc-ratio 0.5 --scores out/vuln.h5 --out out/pruned.h5"}},
      {"bench", {"ftcnn bench " + m + " " + d + " --batch 250,500 --repeats 3 --campaign-reps 5"}},
      {"bench-variants",
       {"ftcnn bench-variants " + m + " --variant out/hardened.h5 --variant out/pruned.h5 " + d +
        " --batch 500 --repeats 3"}},
  };
  return examples;
}

void add_examples(CLI::App& app) {
  for (const auto& [name, lines] : command_examples()) {
    std::string footer = lines.size() == 1
                             ? "Example (from the repository root):\n"
                             : "Example (from the repository root; the last line is the command):\n";
    for (const std::string& line : lines) footer += "  " + line + "\n";
    app.get_subcommand(name)->footer(footer);
  }
}

}  // namespace ftcnn::cli
