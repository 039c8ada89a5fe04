// The soak test of resume: a campaign killed with SIGKILL 50 times, at moments drawn from a seeded
// counter-based generator over the whole run (model load, golden run, repetitions, log lines, the summary
// writes), and resumed each time, ends with the summary of an uninterrupted run, byte for byte.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "engine/fault/philox.hpp"
#include "test/test_support.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// Starts `command` (through sh, exec'd so that the kill reaches ftcnn itself).
pid_t start(const std::string& command) {
  const pid_t child = fork();
  if (child == 0) {
    execl("/bin/sh", "sh", "-c", ("exec " + command + " > /dev/null 2>&1").c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  return child;
}

// The i-th kill delay of the soak, uniform in [0, limit), from Philox keyed by the test's seed.
std::chrono::microseconds kill_delay(uint32_t i, std::chrono::microseconds limit) {
  const ftcnn::PhiloxCounter r = ftcnn::philox4x32_10({{i, 0, 0, 0}}, {{20261202u, 50u}});
  const uint64_t word = (static_cast<uint64_t>(r.word[0]) << 32) | r.word[1];
  return std::chrono::microseconds(
      static_cast<int64_t>(ftcnn::scale_to_range(word, static_cast<uint64_t>(limit.count()))));
}

}  // namespace

TEST_CASE("50 SIGKILLs at random moments, each resumed, end with the uninterrupted run's summary",
          "[campaign][soak]") {
  ftcnn::test::TempDir dir;
  ftcnn::test::write_cifar10(dir.path(), 32, 777);
  const std::string command =
      std::string(FTCNN_BINARY) + " campaign --model " + ftcnn::test::fixture_path("model_small.h5") +
      " --data " + dir.path() +
      " --ber 1e-5,1e-4 --reps 60 --seed 5 --count binomial --log-faults --threads 1 --out ";
  const auto whole_start = Clock::now();
  REQUIRE(std::system((command + dir.file("whole") + " > /dev/null").c_str()) == 0);
  const auto whole = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - whole_start);
  // Kills spread over the first eighth of a run's length: about half land before the first repetition (model
  // load, golden run), the rest a few repetitions in, so 50 of them leave work for the last, whole run.
  const std::chrono::microseconds limit = whole / 8;
  int kills = 0, finished = 0;
  for (uint32_t attempt = 0; kills < 50 && attempt < 200; ++attempt) {
    const pid_t child = start(command + dir.file("killed"));
    REQUIRE(child > 0);
    std::this_thread::sleep_for(kill_delay(attempt, limit));
    kill(child, SIGKILL);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
      ++kills;
    } else {
      INFO("attempt " << attempt << ": exit status " << WEXITSTATUS(status));
      REQUIRE(WIFEXITED(status));
      REQUIRE(WEXITSTATUS(status) == 0);  // finished before the kill: a resume that completed
      ++finished;
    }
  }
  INFO("uninterrupted run " << whole.count() / 1000 << " ms; " << kills << " kills, " << finished
                            << " runs finished before their kill");
  CHECK(kills == 50);
  REQUIRE(std::system((command + dir.file("killed") + " > /dev/null").c_str()) == 0);
  for (const char* file : {"summary.json", "summary.csv", "accuracy_drop.svg"}) {
    INFO(file);
    CHECK(ftcnn::test::read_file(dir.file(std::string("killed/") + file)) ==
          ftcnn::test::read_file(dir.file(std::string("whole/") + file)));
  }
  // The log holds each repetition once: the header and 2 x 60 records.
  const std::string log = ftcnn::test::read_file(dir.file("killed/runs.jsonl"));
  CHECK(std::count(log.begin(), log.end(), '\n') == 2 * 60);  // records only: the header is campaign.json
}
