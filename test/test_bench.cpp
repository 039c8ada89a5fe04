// `ftcnn bench` through the real binary on the bundled default: the JSON parses, names its configuration and
// holds positive timings; a zero-fault repetition changes no result; bad flags are named.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

namespace {

struct RunResult {
  int exit_code = 0;
  std::string out;  // stdout (stderr goes along only when asked)
};

RunResult run_ftcnn(const std::string& arguments, bool with_stderr = false) {
  const std::string command = std::string(FTCNN_BINARY) + " " + arguments + (with_stderr ? " 2>&1" : "");
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  RunResult result;
  std::array<char, 4096> buffer{};
  size_t read;
  while ((read = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.out.append(buffer.data(), read);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  return result;
}

const std::string kDefault = std::string(" --model ") + FTCNN_SOURCE_DIR + "/data/default/small_cifar10.h5" +
                             " --data " + FTCNN_SOURCE_DIR + "/data/default/cifar10-test-slice";

void check_timing(const nlohmann::json& t) {
  CHECK(t.at("median").get<double>() > 0);
  CHECK(t.at("min").get<double>() > 0);
  CHECK(t.at("min").get<double>() <= t.at("median").get<double>());
  CHECK(t.at("median").get<double>() <= t.at("max").get<double>());
}

nlohmann::json bench_json(const std::string& device) {
  const RunResult r = run_ftcnn("bench" + kDefault + " --device " + device +
                                " --images 64 --batch 32,64 --repeats 1 --warmup 0 --threads 1"
                                " --campaign-reps 1 --ber 1e-5 --json");
  INFO("output: " << r.out);
  REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(r.out);
}

void check_bench(const nlohmann::json& j) {
  CHECK(j.at("command") == "bench");
  CHECK(j.at("engine") == "ftcnn");
  CHECK(j.at("arch") == "small");
  CHECK(j.at("images") == 64);
  CHECK(j.at("repeats") == 1);
  CHECK(!j.at("version").get<std::string>().empty());
  CHECK(!j.at("model_checksum").get<std::string>().empty());
  CHECK(j.at("date").get<std::string>().back() == 'Z');
  const auto& inference = j.at("inference");
  REQUIRE(inference.size() == 2);
  CHECK(inference[0].at("batch") == 32);
  CHECK(inference[1].at("batch") == 64);
  for (const auto& row : inference) {
    check_timing(row.at("ms"));
    CHECK(row.at("images_per_second").get<double>() > 0);
    CHECK(row.at("accuracy").get<double>() > 0.5);  // the default model classifies ~77 % of the slice
    CHECK(row.at("non_finite") == 0);
  }
  // Both batch sizes classify the same images: the same accuracy.
  CHECK(inference[0].at("accuracy") == inference[1].at("accuracy"));
  const auto& campaign = j.at("campaign");
  check_timing(campaign.at("repetition_ms"));
  check_timing(campaign.at("eval_only_ms"));
  CHECK(campaign.at("repetitions_per_second").get<double>() > 0);
  // floor(1e-5 x 32 x elements) summed over the layers of the small model.
  CHECK(campaign.at("faults_per_repetition").get<double>() > 100);
  CHECK(campaign.at("eval_only_mismatches") == 0);
  CHECK(campaign.at("golden_accuracy") == inference[0].at("accuracy"));
}

}  // namespace

TEST_CASE("ftcnn bench prints parseable JSON with positive timings (cpu)", "[bench]") {
  const nlohmann::json j = bench_json("cpu");
  check_bench(j);
  CHECK(j.at("device") == "cpu");
  CHECK(j.at("device_name") == "cpu (1 threads)");
  CHECK(j.at("cuda").is_null());
}

TEST_CASE("ftcnn bench prints parseable JSON with positive timings (cuda)", "[bench][cuda]") {
  const nlohmann::json j = bench_json("cuda");
  check_bench(j);
  CHECK(j.at("device") == "cuda");
  const auto& cuda = j.at("cuda");
  CHECK(!cuda.at("driver").get<std::string>().empty());
  CHECK(!cuda.at("runtime").get<std::string>().empty());
  CHECK(!cuda.at("cudnn").get<std::string>().empty());
  CHECK(!cuda.at("cublas").get<std::string>().empty());
}

TEST_CASE("ftcnn bench names bad flags", "[bench][bad-input]") {
  for (const char* flags : {" --batch 0", " --batch 100,x", " --repeats 0"}) {
    const RunResult r = run_ftcnn("bench" + kDefault + flags, true);
    INFO("flags:" << flags << " output: " << r.out);
    CHECK(r.exit_code != 0);
    CHECK(r.exit_code < 128);
    CHECK(r.out.find(std::string(flags).substr(1, std::string(flags).find(' ', 1) - 1)) != std::string::npos);
  }
}
