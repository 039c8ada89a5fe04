// Campaigns: outcome classification, resume after an interruption (in process and with a real SIGKILL)
// giving the same summary bit for bit, and NaN/Inf logits counted as DUE.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "engine/cpu_context.hpp"
#include "engine/fault/campaign.hpp"
#include "engine/fault/campaign_log.hpp"
#include "engine/fault/directory_lock.hpp"
#include "engine/fault/fault_counts.hpp"
#include "engine/fault/fault_file.hpp"
#include "engine/fault/fault_targets.hpp"
#include "engine/io/model_file.hpp"
#include "models/architectures.hpp"
#include "test/test_support.hpp"

using namespace ftcnn;
using Approx = Catch::Detail::Approx;

namespace {

using test::count_lines;
using test::read_file;
using test::start_shell;

// Passes every call to another evaluator; the test evaluators below change one thing each.
class DelegatingEvaluator : public FaultEvaluator {
 public:
  explicit DelegatingEvaluator(FaultEvaluator& inner) : inner_(inner) {}
  std::string description() const override { return inner_.description(); }
  CheckpointPlan plan_checkpoints(const ForEachRepetition& repetitions) override {
    return inner_.plan_checkpoints(repetitions);
  }
  GoldenRun golden() override { return inner_.golden(); }
  OutcomeCounts run_repetition(const FaultKey& key, const std::vector<int64_t>& counts) override {
    return inner_.run_repetition(key, counts);
  }
  OutcomeCounts run_sites(const std::vector<FaultSite>& sites) override { return inner_.run_sites(sites); }
  uint64_t parameter_checksum() override { return inner_.parameter_checksum(); }
  AlgorithmChoices algorithms() const override { return inner_.algorithms(); }

 private:
  FaultEvaluator& inner_;
};

// Fails after `limit` repetitions, as a crash would.
class CrashingEvaluator final : public DelegatingEvaluator {
 public:
  CrashingEvaluator(FaultEvaluator& inner, int limit) : DelegatingEvaluator(inner), limit_(limit) {}
  OutcomeCounts run_repetition(const FaultKey& key, const std::vector<int64_t>& counts) override {
    if (limit_-- == 0) throw std::runtime_error("simulated crash");
    return DelegatingEvaluator::run_repetition(key, counts);
  }

 private:
  int limit_;
};

// Reports the convolution algorithms a CUDA evaluator would (the CPU's has none).
class AlgorithmEvaluator final : public DelegatingEvaluator {
 public:
  AlgorithmEvaluator(FaultEvaluator& inner, AlgorithmChoices algorithms)
      : DelegatingEvaluator(inner), algorithms_(std::move(algorithms)) {}
  AlgorithmChoices algorithms() const override { return algorithms_; }

 private:
  AlgorithmChoices algorithms_;
};

struct Fixture {
  test::TempDir dir;
  Model model = load_model(test::fixture_path("model_small.h5"));
  Dataset data;
  std::unique_ptr<FaultTargets> targets;
  std::unique_ptr<FaultEvaluator> evaluator;
  CampaignConfig config;
  CampaignIdentity identity;

  Fixture() {
    test::write_cifar10(dir.path(), 24, 12345);
    data = load_cifar(dir.path());
    targets = std::make_unique<FaultTargets>(model.graph->parameters(), TargetSelection{});
    const Preprocessing& pre = model.info.preprocessing;
    evaluator =
        make_fault_evaluator(*model.graph, *targets, data, pre.scale, pre.mean, pre.std, Device::cpu, {});
    config.bers = {1e-5, 1e-4, 1e-3};
    config.repetitions = 6;
    config.seed = 11;
    config.count = CountModel::binomial;
    config.verify_every_repetition = true;
    identity =
        CampaignIdentity{"model_small.h5", "x", "small", data.source, data.count, "cpu", "cpu", "test", {}};
  }

  CampaignResult run(const std::string& out, FaultEvaluator& evaluator_to_use) {
    Campaign campaign(config, identity, model.graph->parameters(), *targets, evaluator_to_use, out);
    return campaign.run();
  }
};

}  // namespace

TEST_CASE("every image of every repetition is masked, SDC or DUE", "[campaign]") {
  Fixture f;
  const CampaignResult r = f.run(f.dir.file("plain"), *f.evaluator);
  REQUIRE(r.records.size() == 18);
  for (const RepetitionRecord& rec : r.records) {
    CHECK(rec.outcome.masked + rec.outcome.sdc + rec.outcome.due == f.data.count);
  }
  // At BER 1e-3 (about 11,000 flips in this model) exponent flips make Inf/NaN logits: DUEs must appear.
  CHECK(r.summary.back().due > 0);
  CHECK(r.summary.front().faults.mean < r.summary.back().faults.mean);
}

TEST_CASE("a crashed campaign resumes to the identical summary, even with a torn last line", "[campaign]") {
  Fixture f;
  f.run(f.dir.file("whole"), *f.evaluator);
  CrashingEvaluator crashing(*f.evaluator, 7);
  CHECK_THROWS_WITH(f.run(f.dir.file("resumed"), crashing), Catch::Contains("simulated crash"));
  CHECK(count_lines(f.dir.file("resumed/runs.jsonl")) == 7);  // the header is campaign.json
  CHECK(test::exists(f.dir.file("resumed/campaign.json")));
  std::ofstream(f.dir.file("resumed/runs.jsonl"), std::ios::app)
      << "{\"type\":\"repetition\",\"ber\":1e-";  // torn
  const CampaignResult resumed = f.run(f.dir.file("resumed"), *f.evaluator);
  CHECK(resumed.resumed == 7);
  CHECK(read_file(f.dir.file("resumed/summary.json")) == read_file(f.dir.file("whole/summary.json")));
  CHECK(read_file(f.dir.file("resumed/summary.csv")) == read_file(f.dir.file("whole/summary.csv")));
  CHECK(read_file(f.dir.file("resumed/runs.jsonl")) == read_file(f.dir.file("whole/runs.jsonl")));
}

TEST_CASE("a campaign directory of another configuration is refused, untouched", "[campaign]") {
  Fixture f;
  f.run(f.dir.file("a"), *f.evaluator);
  const std::string before = read_file(f.dir.file("a/runs.jsonl"));
  f.config.seed = 12;
  CHECK_THROWS_WITH(f.run(f.dir.file("a"), *f.evaluator), Catch::Contains("seed differs"));
  CHECK(read_file(f.dir.file("a/runs.jsonl")) == before);
}

TEST_CASE("one campaign per output directory: a second is refused naming the first's PID", "[campaign]") {
  Fixture f;
  const std::string out = f.dir.file("busy");
  std::filesystem::create_directories(out);
  {
    const DirectoryLock held(out);  // as a running campaign holds it
    CHECK_THROWS_WITH(f.run(out, *f.evaluator),
                      Catch::Contains(fmt::format("in use by another ftcnn run (PID {})", ::getpid())));
    CHECK_FALSE(test::exists(out + "/runs.jsonl"));
  }
  CHECK_FALSE(test::exists(out + "/.ftcnn.lock"));  // released and removed
  CHECK(f.run(out, *f.evaluator).resumed == 0);
  CHECK_FALSE(test::exists(out + "/.ftcnn.lock"));
}

TEST_CASE("a log of the previous layout (header as line 1, no campaign.json) resumes in its layout",
          "[campaign]") {
  Fixture f;
  f.config.log_faults = true;
  f.run(f.dir.file("whole"), *f.evaluator);
  // The previous layout of the first 4 repetitions of each BER: the header line, then their records.
  f.config.repetitions = 4;
  f.run(f.dir.file("old"), *f.evaluator);
  const std::string header = nlohmann::json::parse(read_file(f.dir.file("old/campaign.json"))).dump();
  const std::string records = read_file(f.dir.file("old/runs.jsonl"));
  std::filesystem::remove(f.dir.file("old/campaign.json"));
  std::ofstream(f.dir.file("old/runs.jsonl"), std::ios::trunc) << header << "\n" << records;
  const LogContents log = read_campaign_log(f.dir.file("old/runs.jsonl"));
  CHECK(log.exists);
  CHECK(log.header_inline);
  CHECK(log.records.size() == 12);
  // A logged repetition replays from it (its images come from the header line).
  const FaultList list = read_fault_list(f.dir.file("old/runs.jsonl"), 1e-4, 2);
  CHECK(list.images == f.data.count);
  // Resumed to 6 repetitions: it goes on in that layout and ends with the summaries of the whole run.
  f.config.repetitions = 6;
  const CampaignResult resumed = f.run(f.dir.file("old"), *f.evaluator);
  CHECK(resumed.resumed == 12);
  CHECK_FALSE(test::exists(f.dir.file("old/campaign.json")));
  CHECK(count_lines(f.dir.file("old/runs.jsonl")) == 1 + 18);
  CHECK(read_file(f.dir.file("old/summary.csv")) == read_file(f.dir.file("whole/summary.csv")));
  // A log whose header is neither a file beside it nor its first line is refused by name.
  std::ofstream(f.dir.file("old/runs.jsonl"), std::ios::trunc) << records;
  CHECK_THROWS_WITH(
      read_campaign_log(f.dir.file("old/runs.jsonl")),
      Catch::Contains("line 1 is not a campaign header, and there is no campaign.json beside it"));
}

TEST_CASE("a resume counts only the repetitions it uses, and refuses a record that cannot be", "[campaign]") {
  Fixture f;
  const std::string out = f.dir.file("shrink");
  f.run(out, *f.evaluator);  // 3 BERs x 6 repetitions
  f.config.repetitions = 2;
  const CampaignResult fewer = f.run(out, *f.evaluator);
  CHECK(fewer.resumed == 3 * 2);
  CHECK(fewer.records.size() == 3 * 2);
  // A hand-edited record (masked = -5) is named, not summarised.
  std::string log = read_file(out + "/runs.jsonl");
  const size_t at = log.find("\"masked\":");
  REQUIRE(at != std::string::npos);
  const size_t end = log.find_first_of(",}", at);
  log.replace(at, end - at, "\"masked\":-5");
  std::ofstream(out + "/runs.jsonl", std::ios::trunc) << log;
  CHECK_THROWS_WITH(f.run(out, *f.evaluator), Catch::Contains("the log was edited or damaged"));
  // Counts so large their sum would overflow, and a count that is not an integer, are refused as well.
  std::string huge = log;
  huge.replace(huge.find("\"masked\":-5"), 11, "\"masked\":9223372036854775807");
  std::ofstream(out + "/runs.jsonl", std::ios::trunc) << huge;
  CHECK_THROWS_WITH(f.run(out, *f.evaluator), Catch::Contains("the log was edited or damaged"));
  std::string fraction = log;
  fraction.replace(fraction.find("\"masked\":-5"), 11, "\"masked\":3.5");
  std::ofstream(out + "/runs.jsonl", std::ios::trunc) << fraction;
  CHECK_THROWS_WITH(f.run(out, *f.evaluator),
                    Catch::Contains("line 1 is not a campaign record: 'masked' must "
                                    "be an integer, got 3.5"));
}

TEST_CASE("a campaign of more repetitions than any count can hold is refused before it starts",
          "[campaign]") {
  Fixture f;
  f.config.repetitions = std::numeric_limits<int64_t>::max();
  CHECK_THROWS_WITH(f.run(f.dir.file("huge"), *f.evaluator),
                    Catch::Contains("9223372036854775807 repetitions at 3 bit error rates: more than 2^40"));
  CHECK_FALSE(std::filesystem::exists(f.dir.file("huge")));
}

TEST_CASE("a campaign killed with SIGKILL resumes to the identical summary", "[campaign]") {
  test::TempDir dir;
  test::write_cifar10(dir.path(), 64, 12345);
  const std::string args = "campaign --model " + test::fixture_path("model_small.h5") + " --data " +
                           dir.path() +
                           " --ber 1e-5,1e-4 --reps 40 --seed 3 --count binomial --threads 1 --out ";
  REQUIRE(std::system(
              (std::string(FTCNN_BINARY) + " " + args + dir.file("whole") + " > /dev/null").c_str()) == 0);

  const pid_t child =
      start_shell(std::string(FTCNN_BINARY) + " " + args + dir.file("killed") + " > /dev/null");
  REQUIRE(child > 0);
  // Kill it once some repetitions, but not all, are logged.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (count_lines(dir.file("killed/runs.jsonl")) < 6 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  const int logged = count_lines(dir.file("killed/runs.jsonl"));
  INFO("lines logged before the kill: " << logged);
  CHECK(logged < 81);
  REQUIRE(std::system(
              (std::string(FTCNN_BINARY) + " " + args + dir.file("killed") + " > /dev/null").c_str()) == 0);
  CHECK(read_file(dir.file("killed/summary.json")) == read_file(dir.file("whole/summary.json")));
  CHECK(read_file(dir.file("killed/summary.csv")) == read_file(dir.file("whole/summary.csv")));
}

TEST_CASE(
    "SIGINT and SIGTERM stop a campaign after a logged repetition, and a rerun resumes to the same summary",
    "[campaign]") {
  test::TempDir dir;
  test::write_cifar10(dir.path(), 64, 4242);
  const std::string args = "campaign --model " + test::fixture_path("model_small.h5") + " --data " +
                           dir.path() +
                           " --ber 1e-5,1e-4 --reps 60 --seed 9 --count binomial --threads 1 --out ";
  REQUIRE(std::system(
              (std::string(FTCNN_BINARY) + " " + args + dir.file("whole") + " > /dev/null").c_str()) == 0);
  for (const int signal_number : {SIGINT, SIGTERM}) {
    const std::string name = signal_number == SIGINT ? "SIGINT" : "SIGTERM";
    INFO(name);
    const std::string out = dir.file("stopped_" + name);
    const std::string errors = dir.file("stderr_" + name);
    const pid_t child =
        start_shell(std::string(FTCNN_BINARY) + " " + args + out + " > /dev/null 2> " + errors);
    REQUIRE(child > 0);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (count_lines(out + "/runs.jsonl") < 6 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    kill(child, signal_number);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    // Stopped, not killed: its own exit status, 128 + the signal, as a shell reports it.
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 128 + signal_number);
    const std::string message = read_file(errors);
    CHECK(std::count(message.begin(), message.end(), '\n') == 1);
    CHECK_THAT(message, Catch::Contains("campaign stopped by " + name) &&
                            Catch::Contains("rerun the same command to resume"));
    // Every logged line is whole, and no summary was written for a part of the campaign.
    const std::string log = read_file(out + "/runs.jsonl");
    CHECK(!log.empty());
    CHECK(log.back() == '\n');
    const int logged = count_lines(out + "/runs.jsonl");
    CHECK(logged < 1 + 120);
    CHECK_FALSE(test::exists(out + "/summary.csv"));
    REQUIRE(std::system((std::string(FTCNN_BINARY) + " " + args + out + " > /dev/null").c_str()) == 0);
    CHECK(read_file(out + "/summary.json") == read_file(dir.file("whole/summary.json")));
    CHECK(read_file(out + "/summary.csv") == read_file(dir.file("whole/summary.csv")));
  }
}

TEST_CASE("with stderr not a terminal, a campaign prints a progress line per interval: rate, time left, BER",
          "[campaign]") {
  test::TempDir dir;
  test::write_cifar10(dir.path(), 64, 4243);
  const std::string command = fmt::format(
      "FTCNN_PROGRESS_SECONDS=0 {0} campaign --model {1} --data {2} --ber 1e-4 --reps 30 --seed 2 --threads "
      "1 "
      "--out {3} > {4} 2> {5}",
      FTCNN_BINARY, test::fixture_path("model_small.h5"), dir.path(), dir.file("quiet"), dir.file("out0"),
      dir.file("err0"));
  REQUIRE(std::system(command.c_str()) == 0);
  CHECK(read_file(dir.file("err0")).empty());  // 0: no progress lines
  // An interval far below a repetition's time: a line after every repetition, the first one at once.
  const std::string every = fmt::format(
      "FTCNN_PROGRESS_SECONDS=0.000001 {0} campaign --model {1} --data {2} --ber 1e-4 --reps 30 --seed 2 "
      "--threads 1 --out {3} > {4} 2> {5}",
      FTCNN_BINARY, test::fixture_path("model_small.h5"), dir.path(), dir.file("chatty"), dir.file("out1"),
      dir.file("err1"));
  REQUIRE(std::system(every.c_str()) == 0);
  std::istringstream lines(read_file(dir.file("err1")));
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    ++count;
    CHECK_THAT(line, Catch::StartsWith(fmt::format("campaign: {}/30 rep, ", count)) &&
                         Catch::EndsWith(", BER 0.0001"));
    if (count > 1) CHECK_THAT(line, Catch::Contains(" rep/s, ") && Catch::Contains(" s left"));
  }
  CHECK(count == 30);
  // The results on stdout are the same with or without progress lines.
  CHECK(read_file(dir.file("quiet/summary.csv")) == read_file(dir.file("chatty/summary.csv")));
}

TEST_CASE("NaN and Inf logits count as DUE, never as a prediction", "[campaign]") {
  // A linear classifier whose one weight, turned to NaN or Inf by a flip, poisons the logits.
  ModelSpec spec;
  spec.arch = "test";
  spec.input = Shape{3, 32, 32};
  spec.num_classes = 10;
  spec.layers.push_back(simple_spec("flatten", LayerType::flatten));
  spec.layers.push_back(linear_spec("fc", 3072, 10, true));
  Graph graph(spec);
  ParameterStore& store = graph.parameters();
  float* weight = store.host(store.find("fc.weight"));
  for (int64_t i = 0; i < 3072 * 10; ++i) weight[i] = 1e-3f * static_cast<float>((i * 7) % 13 - 6);
  test::TempDir dir;
  test::write_cifar10(dir.path(), 20, 12345);
  const Dataset data = load_cifar(dir.path());
  // A weight of exactly 2.0 (0x40000000) becomes +Inf (0x7f800000) when exponent bits 23..29 flip.
  weight[0] = 2.0f;
  FaultTargets targets(store, TargetSelection{});
  auto evaluator = make_fault_evaluator(graph, targets, data, 1.0f / 255, {0.5f, 0.5f, 0.5f},
                                        {0.25f, 0.25f, 0.25f}, Device::cpu, {});
  evaluator->golden();
  std::vector<FaultSite> to_inf;
  for (uint32_t bit = 23; bit < 30; ++bit)
    to_inf.push_back(FaultSite{store.info(store.find("fc.weight")).offset, bit, 0});
  const OutcomeCounts inf = evaluator->run_sites(to_inf);
  CHECK(inf.due == 20);  // every image sees an Inf (or Inf - Inf = NaN) logit in row 0
  CHECK(inf.correct == 0);
  CHECK(inf.masked == 0);
  CHECK(weight[0] == 2.0f);  // restored
}

TEST_CASE("1000 repetitions at three BERs on the bundled model: accuracy drop grows with BER", "[campaign]") {
  // The full statistics path, with few images so that it stays CI-friendly.
  test::TempDir dir;
  Model model = load_model(std::string(FTCNN_SOURCE_DIR) + "/data/default/small_cifar10.h5");
  const Dataset data =
      load_cifar(std::string(FTCNN_SOURCE_DIR) + "/data/default/cifar10-test-slice", "test", 20);
  FaultTargets targets(model.graph->parameters(), TargetSelection{});
  const Preprocessing& pre = model.info.preprocessing;
  auto evaluator =
      make_fault_evaluator(*model.graph, targets, data, pre.scale, pre.mean, pre.std, Device::cpu, {});
  CampaignConfig config;
  config.bers = {1e-7, 1e-6, 1e-5};
  config.repetitions = 1000;
  config.count = CountModel::binomial;
  const CampaignIdentity identity{
      "small_cifar10.h5", "x", "small", data.source, data.count, "cpu", "cpu", "test", {}};
  Campaign campaign(config, identity, model.graph->parameters(), targets, *evaluator, dir.path());
  const CampaignResult r = campaign.run();
  REQUIRE(r.summary.size() == 3);
  for (const BerSummary& s : r.summary) CHECK(s.repetitions == 1000);
  CHECK(r.summary[0].accuracy_drop.mean < r.summary[1].accuracy_drop.mean);
  CHECK(r.summary[1].accuracy_drop.mean < r.summary[2].accuracy_drop.mean);
  // The intervals separate too: 1000 repetitions are plenty at these rates.
  CHECK(r.summary[1].accuracy_drop.ci95.high < r.summary[2].accuracy_drop.ci95.low);
  // Binomial counts: about BER x 32 x 357,034 bits per repetition.
  CHECK(r.summary[2].faults.mean == Approx(1e-5 * 32 * 357034 + 1e-5 * 32 * 448).epsilon(0.02));
}

TEST_CASE("replaying a logged fault list reproduces the repetition", "[campaign]") {
  Fixture f;
  f.config.log_faults = true;
  const CampaignResult r = f.run(f.dir.file("logged"), *f.evaluator);
  const LogContents log = read_campaign_log(f.dir.file("logged/runs.jsonl"));
  REQUIRE(log.records.size() == r.records.size());
  std::ifstream in(f.dir.file("logged/runs.jsonl"));
  std::string line;  // every line a record: the header is campaign.json
  for (const RepetitionRecord& expected : r.records) {
    std::getline(in, line);
    const nlohmann::json parsed = nlohmann::json::parse(line);
    const std::vector<FaultSite> sites = fault_sites_of(fault_list_from_json(parsed.at("fault_list"), "log"),
                                                        f.model.graph->parameters(), "log");
    CHECK(static_cast<int64_t>(sites.size()) == expected.faults);
    const OutcomeCounts replayed = f.evaluator->run_sites(sites);
    CHECK(replayed.correct == expected.outcome.correct);
    CHECK(replayed.masked == expected.outcome.masked);
    CHECK(replayed.sdc == expected.outcome.sdc);
    CHECK(replayed.due == expected.outcome.due);
  }
}

TEST_CASE("the log records the convolution algorithms, and a resume must compute with the same ones",
          "[campaign]") {
  Fixture f;
  f.config.repetitions = 2;
  const AlgorithmChoices chosen = {{"features.0 [24, 3, 32, 32]", "IMPLICIT_PRECOMP_GEMM"},
                                   {"features.4 [24, 32, 16, 16]", "GEMM"}};
  AlgorithmEvaluator first(*f.evaluator, chosen);
  f.run(f.dir.file("a"), first);
  // What `ftcnn campaign` pins on a resume.
  CHECK(logged_algorithms(f.dir.file("a") + "/runs.jsonl") == chosen);
  f.config.repetitions = 3;
  AlgorithmEvaluator same(*f.evaluator, chosen);
  CHECK(f.run(f.dir.file("a"), same).resumed == 2 * 3);
  AlgorithmEvaluator other(*f.evaluator, {{"features.0 [24, 3, 32, 32]", "GEMM"}});
  CHECK_THROWS_WITH(f.run(f.dir.file("a"), other), Catch::Contains("algorithms differ"));
  // A CPU log records oneDNN's convolution and the ordered linear kernel, whose sums round otherwise than
  // im2col's and sgemm's; a log of im2col and sgemm records nothing: its header is as it always was.
  f.run(f.dir.file("cpu"), *f.evaluator);
  AlgorithmChoices expected;
  if (cpu_convolution_from_environment() == CpuConvolution::onednn)
    expected["cpu convolution"] = "oneDNN direct fp32";
  if (cpu_linear_from_environment() == CpuLinear::ordered) expected["cpu linear"] = "ordered fma chain";
  CHECK(logged_algorithms(f.dir.file("cpu") + "/runs.jsonl") == expected);
  std::unique_ptr<FaultEvaluator> first_backend;
  {
    const test::ScopedEnvironment convolution("FTCNN_CPU_CONV", "im2col");
    const test::ScopedEnvironment linear("FTCNN_CPU_LINEAR", "blas");
    const Preprocessing& pre = f.model.info.preprocessing;
    first_backend = make_fault_evaluator(*f.model.graph, *f.targets, f.data, pre.scale, pre.mean, pre.std,
                                         Device::cpu, {});
  }
  // The backend its runner was made with, whatever the environment says now.
  if (!expected.empty())
    CHECK_THROWS_WITH(f.run(f.dir.file("cpu"), *first_backend), Catch::Contains("algorithms differ"));
  f.run(f.dir.file("cpu-first"), *first_backend);
  CHECK(read_file(f.dir.file("cpu-first") + "/runs.jsonl").find("algorithms") == std::string::npos);
  CHECK(logged_algorithms(f.dir.file("none") + "/runs.jsonl").empty());
}

TEST_CASE("at BER 1 with --log-faults under an address-space cap, every fault is logged and replayed",
          "[campaign][memory]") {
  // 11.4 million faults: the log line was built as a JSON tree (gigabytes), and running out of memory in its
  // destructor ended in std::terminate under a 1.5 GB cap; replay parsed the line into a tree as well. Both
  // now stream. A build with CUDA maps the CUDA libraries (about a gigabyte of address space) as well.
#ifdef FTCNN_WITH_CUDA
  const std::string cap = "2500000", tight = "1500000";
#else
  const std::string cap = "1500000", tight = "700000";
#endif
  test::TempDir dir;
  const std::string model = std::string(FTCNN_SOURCE_DIR) + "/data/default/small_cifar10.h5";
  const std::string data = std::string(FTCNN_SOURCE_DIR) + "/data/default/cifar10-test-slice";
  const auto capped = [](const std::string& limit, const std::string& arguments) {
    return test::run_command("ulimit -v " + limit + " && " + std::string(FTCNN_BINARY) + " " + arguments);
  };
  const test::CommandResult campaign =
      capped(cap, "campaign --model " + model + " --data " + data +
                      " --images 2 --ber 1 --reps 1 --log-faults " + "--threads 1 --out " + dir.file("c"));
  INFO(campaign.output);
  REQUIRE(campaign.exit_code == 0);
  const std::string replay_arguments = "replay --model " + model + " --data " + data + " --faults " +
                                       dir.file("c/runs.jsonl") + " --ber 1 --repetition 0 --threads 1";
  const test::CommandResult replay = capped(cap, replay_arguments);
  INFO(replay.output);
  REQUIRE(replay.exit_code == 0);
  const Model loaded = load_model(model);
  const int64_t bits = 32 * loaded.graph->parameters().total_elements();
  CHECK(replay.output.find(fmt::format("{} faults on 2 images", bits)) != std::string::npos);
  // With too little memory for the 372 MB line, getline fails: named as such, not taken for the end of the
  // log ("no repetition 0 at BER 1"). The line is the first: the header is campaign.json.
  test::expect_one_line_error(capped(tight, replay_arguments), "runs.jsonl: cannot read line 1");
}

TEST_CASE("a paper-count BER that flips no bit is refused unless --allow-zero-faults", "[campaign][cli]") {
  test::TempDir dir;
  const std::string base = fmt::format(
      "campaign --model {0}/data/default/small_cifar10.h5 --data {0}/data/default/cifar10-test-slice "
      "--images 20 "
      "--reps 2 --seed 1 --threads 1 ",
      FTCNN_SOURCE_DIR);
  // floor(1e-7 x bits) is 0 for every layer of the small model: refused before anything is written, with the
  // smallest BER that flips a bit and both ways out.
  const test::CommandResult refused = test::run_ftcnn(base + "--ber 1e-6,1e-7 --out " + dir.file("zero"));
  test::expect_one_line_error(refused, "at BER 1e-07 the paper count injects no fault");
  CHECK_THAT(refused.output, Catch::Contains("the smallest BER that injects one here is 1.2e-07") &&
                                 Catch::Contains("--count binomial") &&
                                 Catch::Contains("--allow-zero-faults"));
  CHECK_FALSE(test::exists(dir.file("zero")));

  // The smallest BER named there does flip a bit.
  const test::CommandResult smallest =
      test::run_ftcnn(base + "--ber 1.2e-7 --json --out " + dir.file("smallest"));
  INFO(smallest.output);
  REQUIRE(smallest.exit_code == 0);

  // Allowed: it runs, and says so in numbers (0 faults per repetition, in the text and in the JSON).
  const test::CommandResult allowed =
      test::run_ftcnn(base + "--ber 1e-7 --allow-zero-faults --out " + dir.file("allowed"), false);
  INFO(allowed.output);
  REQUIRE(allowed.exit_code == 0);
  CHECK_THAT(allowed.output,
             Catch::Contains("faults per repetition (paper count") && Catch::Contains("  BER 1e-07: 0\n"));

  // Binomial counts are never refused; the plan gives the mean per layer, and the JSON reply every layer.
  const test::CommandResult binomial =
      test::run_ftcnn(base + "--ber 1e-7 --count binomial --json --out " + dir.file("binomial"), false);
  INFO(binomial.output);
  REQUIRE(binomial.exit_code == 0);
  const nlohmann::json reply = nlohmann::json::parse(binomial.output);
  const nlohmann::json& plan = reply.at("faults_per_repetition");
  REQUIRE(plan.size() == 1);
  CHECK(plan[0].at("count") == "binomial");
  double sum = 0;
  for (const auto& layer : plan[0].at("per_layer").items()) sum += layer.value().get<double>();
  CHECK(sum == Approx(plan[0].at("mean_faults").get<double>()));
  CHECK(plan[0].at("mean_faults").get<double>() > 0.5);
}

TEST_CASE("the smallest paper-count BER flips one bit of the largest layer and no less does", "[campaign]") {
  const Graph graph(build_architecture("small"));
  const FaultTargets targets(graph.parameters(), parse_target_selection(""));
  const double smallest = smallest_paper_ber(targets);
  int64_t at_smallest = 0, below = 0;
  for (int64_t c : paper_counts(targets, smallest)) at_smallest += c;
  for (int64_t c : paper_counts(targets, smallest * 0.99)) below += c;
  CHECK(at_smallest >= 1);
  CHECK(below == 0);
}
