// Campaigns run as shards (campaign --shard K/N) and put back together (ftcnn merge, docs/distributed.md):
// the shards' repetitions, the merged log and summaries byte for byte those of one process, and every way a
// set of shards can be wrong named in one line, with nothing written.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "engine/error.hpp"
#include "engine/fault/shard.hpp"
#include "test/test_support.hpp"

using namespace ftcnn;
using test::expect_one_line_error;
using test::read_file;
using test::run_ftcnn;

namespace {

// A campaign on the small fixture model: 2 BERs x 10 repetitions, fault lists logged.
std::string campaign(const std::string& data, uint64_t seed = 4) {
  return fmt::format(
      "campaign --model {} --data {} --ber 1e-5,1e-4 --reps 10 --seed {} --count binomial --log-faults "
      "--threads 1",
      test::fixture_path("model_small.h5"), data, seed);
}

void run_ok(const std::string& arguments) {
  const test::CommandResult r = run_ftcnn(arguments);
  INFO(arguments << "\n" << r.output);
  REQUIRE(r.exit_code == 0);
}

}  // namespace

TEST_CASE("a shard takes every N-th repetition of every BER, whatever the repetition count", "[shard]") {
  const Shard second = shard_from_text("2/3");
  CHECK(second.index == 2);
  CHECK(second.count == 3);
  CHECK(second.str() == "2/3");
  CHECK(second.takes(1));
  CHECK(second.takes(4));
  CHECK_FALSE(second.takes(2));
  for (int64_t reps : {0, 1, 2, 3, 10, 11}) {
    int64_t all = 0;
    for (int64_t k = 1; k <= 3; ++k) {
      const Shard s{k, 3};
      int64_t taken = 0;
      for (int64_t r = 0; r < reps; ++r) taken += s.takes(r) ? 1 : 0;
      CHECK(s.share(reps) == taken);
      all += taken;
    }
    CHECK(all == reps);  // the shards cover every repetition once
  }
  CHECK(shard_from_text("1/1").whole());
  for (const char* bad : {"0/3", "4/3", "3", "a/b", "1/0", "-1/3", "1/3/3", " 1/3", "1/99999999", ""}) {
    INFO(bad);
    CHECK_THROWS_WITH(shard_from_text(bad), Catch::Contains("is not K/N"));
  }
}

TEST_CASE("three shards merged give one process's log and summaries, byte for byte", "[shard]") {
  test::TempDir dir;
  test::write_cifar10(dir.path(), 48, 3131);
  const std::string base = campaign(dir.path());
  run_ok(base + " --out " + dir.file("whole"));
  for (int k = 1; k <= 3; ++k) {
    run_ok(fmt::format("{} --shard {}/3 --out {}", base, k, dir.file(fmt::format("s{}", k))));
    // A shard writes its log only: its summary would be of a part of the campaign.
    CHECK_FALSE(test::exists(dir.file(fmt::format("s{}/summary.csv", k))));
  }
  // Shard 1 of 3 runs repetitions 0, 3, 6, 9 of both BERs.
  const std::string shard1 = read_file(dir.file("s1/runs.jsonl"));
  CHECK(std::count(shard1.begin(), shard1.end(), '\n') == 2 * 4);  // the header is campaign.json
  // In any order.
  run_ok(fmt::format("merge --out {} {} {} {}", dir.file("merged"), dir.file("s3"), dir.file("s1"),
                     dir.file("s2")));
  for (const char* file :
       {"campaign.json", "runs.jsonl", "summary.csv", "summary.json", "accuracy_drop.svg"}) {
    INFO(file);
    CHECK(read_file(dir.file("merged/") + file) == read_file(dir.file("whole/") + file));
  }
  // The merged directory is an ordinary campaign: the one-process command resumes it with nothing to do.
  const test::CommandResult resumed = run_ftcnn(base + " --out " + dir.file("merged"));
  REQUIRE(resumed.exit_code == 0);
  CHECK_THAT(resumed.output, Catch::Contains("0 repetitions run (20 resumed)"));
  CHECK(read_file(dir.file("merged/summary.csv")) == read_file(dir.file("whole/summary.csv")));
}

TEST_CASE("merge names a missing, doubled, foreign or unfinished shard and writes nothing", "[shard]") {
  test::TempDir dir;
  test::write_cifar10(dir.path(), 32, 3132);
  const std::string base = campaign(dir.path());
  for (int k = 1; k <= 3; ++k)
    run_ok(fmt::format("{} --shard {}/3 --out {}", base, k, dir.file(fmt::format("s{}", k))));
  run_ok(fmt::format("{} --shard 3/3 --out {}", campaign(dir.path(), 5), dir.file("other")));
  run_ok(fmt::format("{} --out {}", base, dir.file("whole")));
  // Shard 2 cut after three repetitions: killed before it finished.
  std::filesystem::create_directories(dir.file("cut"));
  {
    std::string log = read_file(dir.file("s2/runs.jsonl"));
    size_t end = 0;
    for (int line = 0; line < 3; ++line) end = log.find('\n', end) + 1;
    std::ofstream(dir.file("cut/runs.jsonl")) << log.substr(0, end);
    std::filesystem::copy_file(dir.file("s2/campaign.json"), dir.file("cut/campaign.json"));
  }
  const std::string out = " --out " + dir.file("m");
  const std::string s1 = " " + dir.file("s1"), s2 = " " + dir.file("s2"), s3 = " " + dir.file("s3");
  expect_one_line_error(run_ftcnn("merge" + out + s1 + s2), "shard 3/3 is missing");
  expect_one_line_error(run_ftcnn("merge" + out + s1 + s2 + s2 + s3), "shard 2/3 is given twice");
  expect_one_line_error(run_ftcnn("merge" + out + s1 + s2 + " " + dir.file("other")),
                        "is a shard of another campaign than");
  expect_one_line_error(run_ftcnn("merge" + out + s1 + s2 + " " + dir.file("other")), "'seed' differs");
  expect_one_line_error(run_ftcnn("merge" + out + s1 + s2 + " " + dir.file("whole")),
                        "holds a whole campaign (run without --shard)");
  expect_one_line_error(run_ftcnn("merge" + out + s1 + " " + dir.file("cut") + s3),
                        "BER 0.0001 repetition 1 is missing: shard 2/3");
  expect_one_line_error(run_ftcnn("merge" + out + s1 + s2 + " " + dir.file("nothing")), "no campaign log");
  CHECK_FALSE(test::exists(dir.file("m/runs.jsonl")));
  CHECK_FALSE(test::exists(dir.file("m/campaign.json")));
  // An output directory that holds a campaign already is never written over.
  const std::string before = read_file(dir.file("whole/runs.jsonl"));
  expect_one_line_error(run_ftcnn("merge --out " + dir.file("whole") + s1 + s2 + s3),
                        "holds a campaign log already");
  CHECK(read_file(dir.file("whole/runs.jsonl")) == before);
  // A shard directory resumes only as the shard it is.
  expect_one_line_error(run_ftcnn(base + " --shard 2/3 --out " + dir.file("s1")), "shard differs");
  expect_one_line_error(run_ftcnn(base + " --shard 4/3 --out " + dir.file("x")), "--shard");
}

TEST_CASE("the Slurm job-array scripts run the shards and the merge (Slurm's variables set by hand)",
          "[shard]") {
  test::TempDir dir;
  test::write_cifar10(dir.path(), 32, 3133);
  const std::string flags = campaign(dir.path()).substr(std::string("campaign ").size());
  const std::string scripts = std::string(FTCNN_SOURCE_DIR) + "/experiments/slurm/";
  const std::string binary = std::string("FTCNN=") + FTCNN_BINARY + " ";
  run_ok(campaign(dir.path()) + " --out " + dir.file("whole"));
  for (int k = 1; k <= 2; ++k) {
    const test::CommandResult task = test::run_command(
        fmt::format("{}SLURM_ARRAY_TASK_ID={} SLURM_ARRAY_TASK_COUNT=2 bash {}campaign_shard.sbatch {} {}",
                    binary, k, scripts, dir.file("job"), flags));
    INFO(task.output);
    REQUIRE(task.exit_code == 0);
  }
  CHECK(test::exists(dir.file("job/shard-2-of-2/runs.jsonl")));
  const test::CommandResult merge =
      test::run_command(fmt::format("{}bash {}merge.sbatch {} 2", binary, scripts, dir.file("job")));
  INFO(merge.output);
  REQUIRE(merge.exit_code == 0);
  CHECK(read_file(dir.file("job/merged/runs.jsonl")) == read_file(dir.file("whole/runs.jsonl")));
  CHECK(read_file(dir.file("job/merged/summary.csv")) == read_file(dir.file("whole/summary.csv")));
  // Outside a job array the shard script says so instead of running the whole campaign as one shard.
  const test::CommandResult outside = test::run_command(
      fmt::format("{}bash {}campaign_shard.sbatch {} {}", binary, scripts, dir.file("x"), flags));
  CHECK(outside.exit_code == 2);
  CHECK_THAT(outside.output, Catch::Contains("not a task of a job array"));
}
