// Campaigns over the ranks of an MPI job (`mpirun -n N ftcnn campaign`, docs/distributed.md): byte for byte
// one process's log and summaries, for any chunk size and when a run with another rank count resumes a
// log; a rank killed with SIGKILL ends the job non-zero within a bounded time, and a rerun resumes to the
// uninterrupted summary. Run as root on an oversubscribed machine, as in CI. In a build without MPI (or
// where mpirun is missing) the cases say so and pass.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "test/test_support.hpp"

using namespace ftcnn;
using test::count_lines;
using test::read_file;

namespace {

// True (with a warning) when this build or machine cannot run MPI jobs.
bool skip_without_mpi() {
#ifndef FTCNN_WITH_MPI
  WARN("this build of ftcnn has no MPI (FTCNN_MPI=OFF or no MPI found): MPI campaign case skipped");
  return true;
#else
  if (std::system("command -v mpirun > /dev/null 2>&1") != 0) {
    WARN("mpirun not found: MPI campaign case skipped");
    return true;
  }
  return false;
#endif
}

// mpirun as CI runs it: as root, more ranks than cores, on this machine only (plm isolated: no ssh needed
// to start the ranks, and none is installed on a bare CI machine).
std::string mpirun(int ranks) {
  return fmt::format(
      "env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 "
      "OMPI_MCA_plm=isolated mpirun -n {} {}",
      ranks, FTCNN_BINARY);
}

std::string campaign_flags(const std::string& data, int64_t reps) {
  return fmt::format(
      "campaign --model {} --data {} --ber 1e-5,1e-4 --reps {} --seed 6 --count binomial --threads 1",
      test::fixture_path("model_small.h5"), data, reps);
}

// The PID of the process whose environment says it is MPI rank `rank` and whose command line names `out`,
// or -1.
pid_t rank_process(int rank, const std::string& out) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string environ = read_file(entry.path().string() + "/environ");
    const std::string cmdline = read_file(entry.path().string() + "/cmdline");
    if (environ.find(std::string("OMPI_COMM_WORLD_RANK=") + std::to_string(rank) + '\0') !=
            std::string::npos &&
        cmdline.find(out) != std::string::npos)
      return static_cast<pid_t>(std::stol(name));
  }
  return -1;
}

}  // namespace

TEST_CASE("mpirun -n 3 writes one process's log and summaries, byte for byte, for any chunk", "[mpi]") {
  if (skip_without_mpi()) return;
  test::TempDir dir;
  test::write_cifar10(dir.path(), 32, 5151);
  const std::string flags = campaign_flags(dir.path(), 12) + " --log-faults";
  REQUIRE(std::system((std::string(FTCNN_BINARY) + " " + flags + " --out " + dir.file("one") + " > /dev/null")
                          .c_str()) == 0);
  for (const int chunk : {1, 5}) {
    INFO("chunk " << chunk);
    const std::string out = dir.file(fmt::format("mpi{}", chunk));
    const test::CommandResult r =
        test::run_command(fmt::format("{} {} --chunk {} --out {}", mpirun(3), flags, chunk, out));
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.output, Catch::Contains("MPI: 3 ranks (rank 0 writes, 2 compute)"));
    for (const char* file : {"runs.jsonl", "summary.csv", "summary.json", "accuracy_drop.svg"}) {
      INFO(file);
      CHECK(read_file(out + "/" + file) == read_file(dir.file("one/") + file));
    }
  }
  // A log begun by one process (6 repetitions) and continued by 2 ranks to 12: one process's summaries.
  const std::string grown = dir.file("grown");
  REQUIRE(std::system((std::string(FTCNN_BINARY) + " " + campaign_flags(dir.path(), 6) +
                       " --log-faults --out " + grown + " > /dev/null")
                          .c_str()) == 0);
  const test::CommandResult r = test::run_command(fmt::format("{} {} --out {}", mpirun(2), flags, grown));
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("12 repetitions run (12 resumed)"));
  CHECK(read_file(grown + "/summary.csv") == read_file(dir.file("one/summary.csv")));
  CHECK(read_file(grown + "/summary.json") == read_file(dir.file("one/summary.json")));
}

TEST_CASE("a rank killed with SIGKILL ends the MPI job non-zero, and a rerun resumes to the same summary",
          "[mpi]") {
  if (skip_without_mpi()) return;
  test::TempDir dir;
  test::write_cifar10(dir.path(), 32, 5152);
  const std::string flags = campaign_flags(dir.path(), 150);
  REQUIRE(std::system((std::string(FTCNN_BINARY) + " " + flags + " --out " + dir.file("one") + " > /dev/null")
                          .c_str()) == 0);
  const std::string out = dir.file("killed");
  const pid_t job = test::start_shell(
      fmt::format("{} {} --out {} > /dev/null 2> {}", mpirun(3), flags, out, dir.file("stderr")));
  REQUIRE(job > 0);
  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (count_lines(out + "/runs.jsonl") < 6 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const pid_t rank1 = rank_process(1, out);
  REQUIRE(rank1 > 0);
  kill(rank1, SIGKILL);
  // The job ends (the launcher's rule), never hangs: within 60 s, with a non-zero status.
  const auto killed_at = Clock::now();
  int status = 0;
  pid_t ended = 0;
  while ((ended = waitpid(job, &status, WNOHANG)) == 0 && Clock::now() - killed_at < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (ended == 0) {
    kill(job, SIGKILL);
    waitpid(job, &status, 0);
    FAIL("the MPI job was still running 60 s after rank 1 was killed");
  }
  INFO(read_file(dir.file("stderr")));
  CHECK(((WIFEXITED(status) && WEXITSTATUS(status) != 0) || WIFSIGNALED(status)));
  CHECK(count_lines(out + "/runs.jsonl") < 1 + 300);
  // Rerun, with another rank count: it resumes from the log.
  const test::CommandResult r = test::run_command(fmt::format("{} {} --out {}", mpirun(2), flags, out));
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(read_file(out + "/summary.csv") == read_file(dir.file("one/summary.csv")));
  CHECK(read_file(out + "/summary.json") == read_file(dir.file("one/summary.json")));
}

TEST_CASE("the Slurm MPI batch script runs the campaign through srun (a stand-in srun over mpirun)",
          "[mpi]") {
  if (skip_without_mpi()) return;
  test::TempDir dir;
  test::write_cifar10(dir.path(), 32, 5153);
  const std::string flags = campaign_flags(dir.path(), 8);
  REQUIRE(std::system((std::string(FTCNN_BINARY) + " " + flags + " --out " + dir.file("one") + " > /dev/null")
                          .c_str()) == 0);
  // srun's own flags dropped, the rest started as 3 ranks.
  const std::string srun = dir.file("bin/srun");
  std::filesystem::create_directories(dir.file("bin"));
  std::ofstream(srun) << "#!/bin/sh\nwhile [ \"${1#--}\" != \"$1\" ]; do shift; done\n"
                      << "exec " << mpirun(3).substr(0, mpirun(3).rfind(' ')) << " \"$@\"\n";
  std::filesystem::permissions(srun, std::filesystem::perms::owner_all);
  const std::string script = std::string(FTCNN_SOURCE_DIR) + "/experiments/slurm/campaign_mpi.sbatch";
  const test::CommandResult r = test::run_command(
      fmt::format("PATH={}:$PATH FTCNN={} bash {} {} {}", dir.file("bin"), FTCNN_BINARY, script,
                  dir.file("job/out"), flags.substr(std::string("campaign ").size())));
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("MPI: 3 ranks"));
  CHECK(read_file(dir.file("job/out/runs.jsonl")) == read_file(dir.file("one/runs.jsonl")));
  CHECK(read_file(dir.file("job/out/summary.csv")) == read_file(dir.file("one/summary.csv")));
}
