// Nothing a user has is lost to a failed write: every result file goes through AtomicFile (a temporary made
// exclusively beside the target, fsynced, renamed), so a write that fails (here: a file-size limit, as a
// full disk would) leaves the old file as it was and no temporary behind, and the command ends in one line,
// never a crash. A link planted under a result's name is replaced, never followed.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "engine/io/atomic_file.hpp"
#include "test/test_support.hpp"

using namespace ftcnn;

namespace {

using test::read_file;

// The entries of a directory, names only, sorted.
std::string listing(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) names.insert(entry.path().filename());
  std::string all;
  for (const std::string& n : names) all += n + " ";
  return all;
}

// Runs ftcnn with every file it writes limited to `kib` KiB (SIGXFSZ ignored: the write fails with EFBIG, as
// on a full disk).
test::CommandResult run_limited(int kib, const std::string& arguments) {
  return test::run_command("bash -c \"ulimit -f " + std::to_string(kib) + "; trap '' XFSZ; exec " +
                           std::string(FTCNN_BINARY) + " " + arguments + "\"");
}

const std::string kModel = std::string(FTCNN_SOURCE_DIR) + "/data/default/small_cifar10.h5";
const std::string kData = std::string(FTCNN_SOURCE_DIR) + "/data/default/cifar10-test-slice";

}  // namespace

TEST_CASE("AtomicFile: the target changes only on commit, and no temporary stays", "[atomic]") {
  test::TempDir dir;
  const std::string target = dir.file("out.txt");
  std::ofstream(target) << "old";
  {
    AtomicFile out(target);
    out.write("half");
    CHECK(read_file(target) == "old");
  }  // not committed
  CHECK(read_file(target) == "old");
  CHECK(listing(dir.path()) == "out.txt ");
  write_file_atomically(target, "new");
  CHECK(read_file(target) == "new");
  CHECK(listing(dir.path()) == "out.txt ");
  // A link planted under the name is replaced by the file; what it pointed at is not written.
  std::ofstream(dir.file("victim")) << "untouched";
  std::filesystem::remove(target);
  std::filesystem::create_symlink(dir.file("victim"), target);
  write_file_atomically(target, "result");
  CHECK(read_file(dir.file("victim")) == "untouched");
  CHECK(std::filesystem::is_regular_file(std::filesystem::symlink_status(target)));
  CHECK(read_file(target) == "result");
}

TEST_CASE("a failed write keeps the old file and ends in one line", "[atomic][cli]") {
  test::TempDir dir;
  // eval --logits: HDF5 cannot finish the file (exit 139 in HDF5's exit handler before).
  std::ofstream(dir.file("logits.h5")) << "earlier logits";
  test::expect_one_line_error(
      run_limited(8, "eval --model " + kModel + " --data " + kData + " --logits " + dir.file("logits.h5")),
      "logits.h5: write failed");
  CHECK(read_file(dir.file("logits.h5")) == "earlier logits");
  // harden --out: the same, through the model writer.
  std::ofstream(dir.file("hardened.h5")) << "earlier model";
  test::expect_one_line_error(
      run_limited(8, "harden --model " + kModel + " --mode dup-only --ratio 0.1 --ranking-method l1 --out " +
                         dir.file("hardened.h5")),
      "hardened.h5: ");
  CHECK(read_file(dir.file("hardened.h5")) == "earlier model");
  CHECK(listing(dir.path()) == "hardened.h5 logits.h5 ");

  // A resumed campaign that cannot write its summary leaves the earlier summary whole (it left a 0-byte one).
  const std::string campaign = "campaign --model " + kModel + " --data " + kData +
                               " --images 20 --ber 1e-5 --reps 3 --out " + dir.file("c");
  const test::CommandResult first = test::run_ftcnn(campaign);
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  const std::string summary = read_file(dir.file("c/summary.json")),
                    csv = read_file(dir.file("c/summary.csv"));
  REQUIRE(summary.size() > 1024);  // beyond the limit below, which the log (under it) is not
  REQUIRE(read_file(dir.file("c/runs.jsonl")).size() < 1024);
  // --json: nothing on stdout before the reply (the text mode prints the fault plan first).
  test::expect_one_line_error(run_limited(1, campaign + " --json"), "summary.json: write failed");
  CHECK(read_file(dir.file("c/summary.json")) == summary);
  CHECK(read_file(dir.file("c/summary.csv")) == csv);
  CHECK(listing(dir.file("c")) == "accuracy_drop.svg campaign.json runs.jsonl summary.csv summary.json ");
}

TEST_CASE("a link planted under the campaign log's name is refused, its target untouched",
          "[atomic][campaign]") {
  test::TempDir dir;
  std::filesystem::create_directories(dir.file("c"));
  std::ofstream(dir.file("victim")) << "";  // empty: read as no log, so the run gets to writing one
  std::filesystem::create_symlink(dir.file("victim"), dir.file("c/runs.jsonl"));
  test::expect_one_line_error(test::run_ftcnn("campaign --model " + kModel + " --data " + kData +
                                              " --images 20 --ber 1e-5 --reps 2 --out " + dir.file("c")),
                              "runs.jsonl: cannot open for writing");
  CHECK(read_file(dir.file("victim")).empty());
}
