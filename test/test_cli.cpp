// The command line as users meet it: every subcommand's help shows its defaults and an example, and every
// example runs as written; unknown flags get a suggestion and exit 2; one flag name per idea (--images,
// --scores) with the older names still taken; one seed default.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/io/cifar_dataset.hpp"
#include "engine/io/model_file.hpp"
#include "test/test_support.hpp"

using namespace ftcnn;

namespace {

// The subcommands `ftcnn --help` lists.
std::vector<std::string> subcommands() {
  const test::CommandResult help = test::run_ftcnn("--help", false);
  REQUIRE(help.exit_code == 0);
  std::istringstream lines(help.output.substr(help.output.find("Subcommands:")));
  std::vector<std::string> names;
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line) && line.rfind("  ", 0) == 0)
    names.push_back(line.substr(2, line.find(' ', 2) - 2));
  return names;
}

// The example command lines at the end of `ftcnn <name> --help`.
std::vector<std::string> example_of(const std::string& help) {
  std::vector<std::string> commands;
  const size_t at = help.find("\nExample");
  if (at == std::string::npos) return commands;
  std::istringstream lines(help.substr(at + 1));
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line) && line.rfind("  ftcnn ", 0) == 0) commands.push_back(line.substr(2));
  return commands;
}

}  // namespace

TEST_CASE("every subcommand's help shows its defaults and an example that runs as written", "[cli]") {
  const std::vector<std::string> names = subcommands();
  REQUIRE(names.size() >= 12);
  std::map<std::string, std::vector<std::string>> examples;
  for (const std::string& name : names) {
    INFO(name);
    const test::CommandResult help = test::run_ftcnn(name + " --help", false);
    REQUIRE(help.exit_code == 0);
    examples[name] = example_of(help.output);
    CHECK_FALSE(examples[name].empty());
  }
  CHECK_THAT(test::run_ftcnn("campaign --help", false).output,
             Catch::Contains("--reps INT:a positive integer=100") &&
                 Catch::Contains("--count TEXT:{paper,binomial}=paper"));
  CHECK_THAT(test::run_ftcnn("--help", false).output, Catch::Contains("Exit status: 0 done; 1 an error"));

  // In an order where each finds what the ones before wrote under out/ (here a temporary directory), from
  // the repository root as the help says.
  test::TempDir dir;
  const std::vector<std::string> order = {"info",   "devices", "eval",    "campaign",
                                          "replay", "merge",   "profile", "vuln",
                                          "harden", "prune",   "bench",   "bench-variants"};
  CHECK(std::is_permutation(order.begin(), order.end(), names.begin(), names.end()));
  for (const std::string& name : order) {
    for (std::string command : examples[name]) {
      INFO(command);
      for (size_t at = command.find(" out/"); at != std::string::npos; at = command.find(" out/", at + 1))
        command.replace(at + 1, 4, dir.path() + "/out/");
      const test::CommandResult r = test::run_command(fmt::format(
          "cd {} && {} {}", FTCNN_SOURCE_DIR, FTCNN_BINARY, command.substr(std::string("ftcnn ").size())));
      INFO(r.output);
      CHECK(r.exit_code == 0);
    }
  }
}

TEST_CASE("an unknown flag close to a known one is named with a suggestion and exits 2", "[cli]") {
  const std::string model = " --model " + std::string(FTCNN_SOURCE_DIR) + "/data/default/small_cifar10.h5";
  const test::CommandResult typo = test::run_ftcnn("eval" + model + " --data x --imags 5");
  CHECK(typo.exit_code == 2);
  test::expect_one_line_error(typo, "unknown flag --imags (did you mean --images?) (see ftcnn eval --help)");
  const test::CommandResult short_name = test::run_ftcnn("campaign" + model + " --data x --ber 1e-5 --rep 3");
  CHECK(short_name.exit_code == 2);
  test::expect_one_line_error(short_name, "unknown flag --rep (did you mean --reps?)");
  // Nothing close: CLI11's own message, no guess.
  const test::CommandResult far = test::run_ftcnn("eval" + model + " --data x --colour blue");
  CHECK(far.exit_code == 2);
  test::expect_one_line_error(far, "The following arguments were not expected");
  CHECK_THAT(far.output, !Catch::Contains("did you mean"));
}

TEST_CASE("one name per idea (--images and --scores) with the older names still taken and one seed default",
          "[cli]") {
  test::TempDir dir;
  const std::string model = std::string(FTCNN_SOURCE_DIR) + "/data/default/small_cifar10.h5";
  const std::string data = std::string(FTCNN_SOURCE_DIR) + "/data/default/cifar10-test-slice";
  const auto run = [](const std::string& arguments) {
    const test::CommandResult r = test::run_ftcnn(arguments);
    INFO(arguments << "\n" << r.output);
    REQUIRE(r.exit_code == 0);
    return r.output;
  };
  const auto checksum = [](const std::string& path) {
    return load_model(path).graph->parameters().checksum_hex();
  };
  // eval --images is --limit.
  for (const char* flag : {"--images", "--limit"}) {
    const nlohmann::json reply =
        nlohmann::json::parse(run(fmt::format("eval --model {} --data {} {} 100 --json", model, data, flag)));
    CHECK(reply.at("images") == 100);
  }
  // prune --scores METHOD is --importance METHOD, and --scores FILE reads vuln's file.
  const std::string prune = fmt::format("prune --model {} --conv-ratio 0.2 --fc-ratio 0.3 ", model);
  run(prune + "--scores l1 --out " + dir.file("a.h5"));
  run(prune + "--importance l1 --out " + dir.file("b.h5"));
  CHECK(checksum(dir.file("a.h5")) == checksum(dir.file("b.h5")));
  run(fmt::format("vuln --model {} --scores l1 --out {}", model, dir.file("l1.h5")));
  run(prune + "--scores " + dir.file("l1.h5") + " --out " + dir.file("c.h5"));
  CHECK(checksum(dir.file("c.h5")) == checksum(dir.file("a.h5")));
  test::expect_one_line_error(
      test::run_ftcnn(prune + "--scores l1 --importance l1 --out " + dir.file("d.h5")),
      "give --scores alone (--importance is its older name)");
  test::expect_one_line_error(test::run_ftcnn(prune + "--out " + dir.file("d.h5")),
                              "give a score source: --scores exact|batch|l1|random");
  // A mistyped method is named as such, not taken for a missing file.
  test::expect_one_line_error(test::run_ftcnn(prune + "--scores exat --out " + dir.file("d.h5")),
                              "--scores: 'exat' is neither a method (exact, batch, l1, random) nor a file");
  test::expect_one_line_error(
      test::run_ftcnn(fmt::format("harden --model {} --ratio 0.2 --mode dup-only --scores exact --out {}",
                                  model, dir.file("d.h5"))),
      "--scores: 'exact' is neither a method (l1, random) nor a file");
  // harden --scores l1 is --ranking-method l1; --scores FILE is --ranking FILE.
  const std::string harden = fmt::format("harden --model {} --ratio 0.2 --mode dup-only ", model);
  run(harden + "--scores l1 --out " + dir.file("h1.h5"));
  run(harden + "--ranking-method l1 --out " + dir.file("h2.h5"));
  run(harden + "--scores " + dir.file("l1.h5") + " --out " + dir.file("h3.h5"));
  run(harden + "--ranking " + dir.file("l1.h5") + " --out " + dir.file("h4.h5"));
  CHECK(checksum(dir.file("h1.h5")) == checksum(dir.file("h2.h5")));
  CHECK(checksum(dir.file("h3.h5")) == checksum(dir.file("h4.h5")));
  // The seed of a random ranking defaults to 1 in every command.
  run(fmt::format("vuln --model {} --scores random --csv {}", model, dir.file("r0.csv")));
  run(fmt::format("vuln --model {} --scores random --seed 1 --csv {}", model, dir.file("r1.csv")));
  CHECK(test::read_file(dir.file("r0.csv")) == test::read_file(dir.file("r1.csv")));
  run(prune + "--scores random --out " + dir.file("p0.h5"));
  run(prune + "--scores random --seed 1 --out " + dir.file("p1.h5"));
  CHECK(checksum(dir.file("p0.h5")) == checksum(dir.file("p1.h5")));
  run(harden + "--scores random --out " + dir.file("q0.h5"));
  run(harden + "--scores random --seed 1 --out " + dir.file("q1.h5"));
  CHECK(checksum(dir.file("q0.h5")) == checksum(dir.file("q1.h5")));
}

TEST_CASE("the first N images everywhere unless --evenly-spaced spreads them (results record which)",
          "[cli]") {
  // The subset: image k of N is image k x total / N, in order.
  Dataset all;
  all.count = 10;
  all.item = Shape{1, 1, 2};
  for (int i = 0; i < 10; ++i) {
    all.pixels.insert(all.pixels.end(), {static_cast<uint8_t>(i), static_cast<uint8_t>(100 + i)});
    all.labels.push_back(i);
  }
  const Dataset spread = evenly_spaced_subset(all, 4);
  CHECK(spread.labels == std::vector<int32_t>{0, 2, 5, 7});
  CHECK(spread.pixels == std::vector<uint8_t>{0, 100, 2, 102, 5, 105, 7, 107});
  CHECK(evenly_spaced_subset(all, 20).count == 10);

  test::TempDir dir;
  const std::string model = std::string(FTCNN_SOURCE_DIR) + "/data/default/small_cifar10.h5";
  const std::string data = std::string(FTCNN_SOURCE_DIR) + "/data/default/cifar10-test-slice";
  const auto json_of = [](const std::string& arguments) {
    const test::CommandResult r = test::run_ftcnn(arguments, false);
    INFO(arguments << "\n" << r.output);
    REQUIRE(r.exit_code == 0);
    return nlohmann::json::parse(r.output);
  };
  // eval takes both (the campaign below checks the selection end to end).
  const nlohmann::json first =
      json_of(fmt::format("eval --model {} --data {} --images 100 --json", model, data));
  const nlohmann::json even =
      json_of(fmt::format("eval --model {} --data {} --images 100 --evenly-spaced --json", model, data));
  CHECK(first.at("images") == 100);
  CHECK(even.at("images") == 100);
  CHECK(first.at("selection") == "first");
  CHECK(even.at("selection") == "evenly spaced");
  // vuln records its selection; the default is the first N.
  const std::string vuln =
      fmt::format("vuln --model {} --data {} --split test --images 16 --json ", model, data);
  CHECK(json_of(vuln).dump().find("the first 16 of 1000 images") != std::string::npos);
  CHECK(json_of(vuln + "--evenly-spaced").dump().find("16 of 1000 images, evenly spaced") !=
        std::string::npos);
  // A campaign records the selection in its header; a resume with the other selection is refused; a replay
  // of its log classifies the same images (the logged outcome comes back).
  const std::string campaign = fmt::format(
      "campaign --model {} --data {} --images 60 --ber 1e-5 --reps 2 --log-faults --threads 2 --out {} ",
      model, data, dir.file("c"));
  json_of(campaign + "--evenly-spaced --json");
  const nlohmann::json header = nlohmann::json::parse(test::read_file(dir.file("c/campaign.json")));
  CHECK(header.at("selection") == "evenly spaced");
  test::expect_one_line_error(test::run_ftcnn(campaign), "selection differs");
  const nlohmann::json record =
      nlohmann::json::parse(test::read_file(dir.file("c/runs.jsonl"))
                                .substr(0, test::read_file(dir.file("c/runs.jsonl")).find('\n')));
  const nlohmann::json replay =
      json_of(fmt::format("replay --model {} --data {} --faults {} --ber 1e-5 --repetition 0 --json", model,
                          data, dir.file("c/runs.jsonl")));
  CHECK(replay.at("correct") == record.at("correct"));
  CHECK(replay.at("masked") == record.at("masked"));
  CHECK(replay.at("sdc") == record.at("sdc"));
  // The selection is the campaign's whatever --images says (here its own count, given again).
  const nlohmann::json again = json_of(
      fmt::format("replay --model {} --data {} --faults {} --ber 1e-5 --repetition 0 --images 60 --json",
                  model, data, dir.file("c/runs.jsonl")));
  CHECK(again.at("correct") == record.at("correct"));
  // summary.csv says which images, on every row.
  CHECK_THAT(test::read_file(dir.file("c/summary.csv")), Catch::Contains(",60,evenly spaced,cpu,"));
  // A campaign of the first images writes no selection: its header is as it always was.
  json_of(
      fmt::format("campaign --model {} --data {} --images 60 --ber 1e-5 --reps 1 --log-faults --threads 2 "
                  "--json --out {}",
                  model, data, dir.file("f")));
  CHECK_FALSE(nlohmann::json::parse(test::read_file(dir.file("f/campaign.json"))).contains("selection"));
  CHECK_THAT(test::read_file(dir.file("f/summary.csv")), Catch::Contains(",60,first,cpu,"));
  test::expect_one_line_error(
      test::run_ftcnn(
          fmt::format("replay --model {} --data {} --faults {} --ber 1e-5 --repetition 0 --evenly-spaced",
                      model, data, dir.file("f/runs.jsonl"))),
      "classified the first images; replay takes its selection");
}

TEST_CASE("the quiet flag leaves stderr to errors", "[cli]") {
  test::TempDir dir;
  // A progress line after every repetition unless --quiet.
  const std::string command = fmt::format(
      "FTCNN_PROGRESS_SECONDS=0.000001 {} {{}} campaign --model {}/data/default/small_cifar10.h5 --data "
      "{}/data/default/cifar10-test-slice --images 20 --ber 1e-5 --reps 3 --threads 1 --out {{}} > /dev/null "
      "2> {{}}",
      FTCNN_BINARY, FTCNN_SOURCE_DIR, FTCNN_SOURCE_DIR);
  REQUIRE(
      test::run_command(fmt::format(command, "", dir.file("loud"), dir.file("loud.err")), false).exit_code ==
      0);
  REQUIRE(test::run_command(fmt::format(command, "--quiet", dir.file("quiet"), dir.file("quiet.err")))
              .exit_code == 0);
  CHECK(test::count_lines(dir.file("loud.err")) == 3);
  CHECK(test::read_file(dir.file("quiet.err")).empty());
}
