// experiments/sweep_prune.py (docs/pruning.md, "Scripts"): its rows are what ftcnn prune and ftcnn eval
// give, a rerun resumes instead of redoing, and bad settings end in one line. Runs the script under python3
// on the bundled default model (standard library only; the plot is skipped without matplotlib).
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test/test_support.hpp"

namespace ftcnn {
namespace {

using Row = std::map<std::string, std::string>;

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  std::string field;
  while (std::getline(in, field, ',')) fields.push_back(field);
  if (!line.empty() && line.back() == ',') fields.emplace_back();
  return fields;
}

std::vector<Row> read_sweep_csv(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::string line;
  REQUIRE(std::getline(in, line));
  const std::vector<std::string> header = split_csv_line(line);
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    const std::vector<std::string> fields = split_csv_line(line);
    REQUIRE(fields.size() == header.size());
    Row row;
    for (size_t i = 0; i < header.size(); ++i) row[header[i]] = fields[i];
    rows.push_back(row);
  }
  return rows;
}

const Row& find_row(const std::vector<Row>& rows, const std::string& method, const std::string& scope,
                    const std::string& conv, const std::string& fc) {
  for (const Row& r : rows) {
    if (r.at("method") == method && r.at("scope") == scope && r.at("conv_ratio") == conv &&
        r.at("fc_ratio") == fc) {
      return r;
    }
  }
  FAIL("no sweep row " << method << " " << scope << " " << conv << " " << fc);
  return rows.front();
}

const std::string kModel = std::string(FTCNN_SOURCE_DIR) + "/data/default/small_cifar10.h5";
const std::string kData = std::string(FTCNN_SOURCE_DIR) + "/data/default/cifar10-test-slice";

}  // namespace

TEST_CASE("sweep_prune.py: every point is ftcnn prune + eval, a rerun resumes, bad settings are refused",
          "[pruning][scripts]") {
  test::TempDir dir;
  const std::string out = dir.file("sweep");
  const std::string sweep =
      "python3 " + std::string(FTCNN_SOURCE_DIR) + "/experiments/sweep_prune.py --ftcnn " + FTCNN_BINARY +
      " --model " + kModel + " --data " + kData +
      " --vuln-split test --vuln-images 16 --conv-ratios 0.3 --fc-ratios 0.5 --limit 200"
      " --threads 2 --methods exact,l1 --out " +
      out;
  const test::CommandResult first = test::run_command(sweep + " --scope layer,global-none");
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  const std::vector<Row> rows = read_sweep_csv(out + "/sweep.csv");
  CHECK(rows.size() == 1 + 2 * 2 * 2);  // unpruned + methods x scopes x points

  // The unpruned row is ftcnn eval's accuracy on the same 200 images.
  const test::CommandResult eval =
      test::run_ftcnn("eval --model " + kModel + " --data " + kData + " --limit 200 --json", false);
  REQUIRE(eval.exit_code == 0);
  const double accuracy = nlohmann::json::parse(eval.output)["accuracy"].get<double>();
  CHECK(std::stod(find_row(rows, "none", "-", "0", "0").at("accuracy")) == Approx(accuracy).margin(1e-6));

  // A pruned row holds the counts ftcnn prune reports for the same flags.
  const test::CommandResult prune =
      test::run_ftcnn("prune --model " + kModel + " --conv-ratio 0.3 --fc-ratio 0 --importance l1 --out " +
                          dir.file("p.h5") + " --json",
                      false);
  REQUIRE(prune.exit_code == 0);
  const nlohmann::json pruned = nlohmann::json::parse(prune.output);
  const Row& l1_conv = find_row(rows, "l1", "layer", "0.3", "0");
  CHECK(std::stoll(l1_conv.at("params")) == pruned["parameters"][1].get<int64_t>());
  CHECK(std::stoll(l1_conv.at("macs")) == pruned["macs"][1].get<int64_t>());
  CHECK(l1_conv.at("images") == "200");
  // Raw global scores on the conv layers remove other channels than per-layer ratios (params differ).
  CHECK(find_row(rows, "l1", "global-none", "0.3", "0").at("params") != l1_conv.at("params"));

  std::ifstream json_in(out + "/sweep.json");
  const nlohmann::json record = nlohmann::json::parse(json_in);
  CHECK(record["config"]["scopes"] == nlohmann::json::array({"layer", "global-none"}));
  CHECK(record["config"]["model_checksum"].is_string());
  CHECK(record.contains("seed"));
  CHECK(record["ftcnn_version"].get<std::string>().rfind("0.", 0) == 0);

  // Rerun with one scope more: only the new points run, the old rows stay as they were.
  const test::CommandResult second = test::run_command(sweep + " --scope layer,global-none,global");
  INFO(second.output);
  REQUIRE(second.exit_code == 0);
  const std::vector<Row> resumed = read_sweep_csv(out + "/sweep.csv");
  CHECK(resumed.size() == rows.size() + 2 * 2);
  for (size_t i = 0; i < rows.size(); ++i) CHECK(resumed[i] == rows[i]);

  test::expect_one_line_error(test::run_command(sweep + " --scope layer --limit 100"), "other settings");
  test::expect_one_line_error(test::run_command(sweep + " --scope model"), "--scope");
}

}  // namespace ftcnn

namespace ftcnn {

TEST_CASE(
    "prune_pipeline.sh: the Table II row is what its steps wrote, a rerun skips, other settings refused",
    "[pruning][scripts]") {
  test::TempDir dir;
  const std::string out = dir.file("pipeline");
  // The smoke-test settings of docs/pruning.md, global scope with L2-normalised scores.
  const std::string pipeline =
      std::string(FTCNN_SOURCE_DIR) + "/experiments/prune_pipeline.sh --ftcnn " + FTCNN_BINARY + " --model " +
      kModel + " --data " + kData +
      " --split test --vuln-images 32 --profile-images 500 --finetune-epochs 0 --eval-limit 500 --reps 3"
      " --ber 1e-6,1e-5 --campaign-images 100 --bench-images 500 --bench-batch 250 --bench-repeats 2 "
      "--bench-warmup 1"
      " --threads 2 --out " +
      out;
  const test::CommandResult first = test::run_command(pipeline + " --scope global-l2");
  INFO(first.output);
  REQUIRE(first.exit_code == 0);

  const auto read_json = [&](const std::string& name) {
    std::ifstream in(out + "/" + name);
    REQUIRE(in.good());
    return nlohmann::json::parse(in);
  };
  const nlohmann::json table = read_json("table2.json");
  const nlohmann::json prune = read_json("prune.json");
  const nlohmann::json& row = table["table2_row"];
  CHECK(prune["pruning"]["scope"] == "global");
  CHECK(prune["pruning"]["normalization"] == "l2");
  CHECK(row["scope"] == "global-l2");
  CHECK(row["params_ratio"].get<double>() == Approx(prune["parameter_ratio"].get<double>()));
  CHECK(row["macs_ratio"].get<double>() == Approx(prune["mac_ratio"].get<double>()));
  CHECK(row["accuracy_unpruned"].get<double>() ==
        Approx(read_json("eval_base.json")["accuracy"].get<double>()));
  CHECK(row["accuracy_pruned"].get<double>() ==
        Approx(read_json("eval_pruned.json")["accuracy"].get<double>()));
  CHECK(row["params_ratio"].get<double>() < 1.0);
  CHECK(row["time_ratio"].get<double>() > 0.0);
  CHECK(table["seed"] == 1);
  CHECK(table["paper_row"].is_null());  // the small model is not one of the paper's three
  CHECK(test::exists(out + "/fig6_7.md"));
  CHECK(test::exists(out + "/pruned_hardened.h5"));

  // Rerun: every step is found finished, the results are not rewritten.
  const test::CommandResult again = test::run_command(pipeline + " --scope global-l2");
  INFO(again.output);
  REQUIRE(again.exit_code == 0);
  CHECK(read_json("table2.json")["table2_row"] == row);

  test::expect_one_line_error(test::run_command(pipeline + " --scope layer"), "other settings");
  test::expect_one_line_error(test::run_command(pipeline + " --scope model"), "--scope 'model'");
}

}  // namespace ftcnn
