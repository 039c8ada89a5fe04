// `ftcnn bench` through the real binary on the bundled default: the JSON parses, names its configuration and
// holds positive timings; a zero-fault repetition changes no result; bad flags are named.
#include <catch2/catch.hpp>

#include <algorithm>

#include <array>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/io/model_file.hpp"
#include "engine/model_spec.hpp"
#include "test/test_support.hpp"

namespace {

using RunResult = ftcnn::test::CommandResult;
using ftcnn::test::run_ftcnn;
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
                                    " --campaign-reps 1 --ber 1e-5 --json",
                                false);
  INFO("output: " << r.output);
  REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(r.output);
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
  if (ftcnn::test::skip_without_gpu()) return;
  const nlohmann::json j = bench_json("cuda");
  check_bench(j);
  CHECK(j.at("device") == "cuda");
  const auto& cuda = j.at("cuda");
  CHECK(!cuda.at("driver").get<std::string>().empty());
  CHECK(!cuda.at("runtime").get<std::string>().empty());
  CHECK(!cuda.at("cudnn").get<std::string>().empty());
  CHECK(!cuda.at("cublas").get<std::string>().empty());
}

// --layers: one entry per step of the plan, in order, named by the model's layers; their times add up to
// about one pass (the sum of per-step medians, so not exactly the pass median).
void check_layers(const std::string& device) {
  const RunResult r =
      run_ftcnn("bench" + kDefault + " --device " + device +
                    " --images 64 --batch 64 --repeats 3 --warmup 1 --threads 1 --layers --json",
                false);
  INFO("output: " << r.output);
  REQUIRE(r.exit_code == 0);
  const nlohmann::json j = nlohmann::json::parse(r.output);
  CHECK(j.at("campaign").is_null());
  const nlohmann::json& layers = j.at("layers");
  CHECK(layers.at("batch") == 64);
  CHECK(layers.at("repeats") == 3);
  const ftcnn::Model model =
      ftcnn::load_model(std::string(FTCNN_SOURCE_DIR) + "/data/default/small_cifar10.h5");
  const auto& spec_layers = model.graph->spec().layers;
  const nlohmann::json& steps = layers.at("steps");
  REQUIRE(!steps.empty());
  CHECK(steps.size() <= spec_layers.size());
  // On the CPU each BatchNorm2d absorbs the ReLU after it: one step per entry of the fusion plan >= 0.
  if (device == "cpu") {
    const std::vector<int> plan = model.graph->fusion_plan(64, ftcnn::Device::cpu);
    CHECK(steps.size() ==
          static_cast<size_t>(std::count_if(plan.begin(), plan.end(), [](int a) { return a >= 0; })));
    CHECK(steps.size() < spec_layers.size());
  }
  size_t next = 0;
  double total = 0;
  for (const nlohmann::json& step : steps) {
    const std::string name = step.at("layer");
    while (next < spec_layers.size() && spec_layers[next].name != name) ++next;
    INFO("step " << name);
    REQUIRE(next < spec_layers.size());  // a layer of the model, after the previous step's
    CHECK(step.at("type") == ftcnn::layer_type_name(spec_layers[next].type));
    CHECK(step.at("ms").get<double>() >= 0);
    total += step.at("ms").get<double>();
    ++next;
  }
  CHECK(steps.back().at("layer") == spec_layers.back().name);
  CHECK(total == Approx(layers.at("total_ms").get<double>()));
  CHECK(total > 0);
  // Within a factor of the timed passes' median (a loose bound: both are medians of few passes).
  const double pass = j.at("inference")[0].at("ms").at("median").get<double>();
  CHECK(total < 5 * pass);
  CHECK(total > pass / 5);
}

TEST_CASE("ftcnn bench --layers times every step of the plan (cpu)", "[bench]") {
  check_layers("cpu");
}

TEST_CASE("ftcnn bench --layers times every step of the plan (cuda)", "[bench][cuda]") {
  if (ftcnn::test::skip_without_gpu()) return;
  check_layers("cuda");
}

TEST_CASE("ftcnn bench names bad flags", "[bench][bad-input]") {
  for (const char* flags : {" --batch 0", " --batch 100,x", " --repeats 0"}) {
    const RunResult r = run_ftcnn("bench" + kDefault + flags);
    INFO("flags:" << flags << " output: " << r.output);
    CHECK(r.exit_code != 0);
    CHECK(r.exit_code < 128);
    CHECK(r.output.find(std::string(flags).substr(1, std::string(flags).find(' ', 1) - 1)) !=
          std::string::npos);
  }
}

TEST_CASE("ftcnn bench-variants times a hardened variant against its model (cpu)", "[bench]") {
  const ftcnn::test::TempDir dir;
  const std::string hardened = dir.file("dup_only_50.h5");
  const std::string model = std::string(FTCNN_SOURCE_DIR) + "/data/default/small_cifar10.h5";
  REQUIRE(run_ftcnn("harden --model " + model + " --ratio 0.5 --mode dup-only --ranking-method l1 --out " +
                        hardened,
                    false)
              .exit_code == 0);
  const RunResult r = run_ftcnn("bench-variants" + kDefault + " --variant " + hardened +
                                    " --images 64 --batch 32 --repeats 2 --warmup 0 --threads 1 --json",
                                false);
  INFO("output: " << r.output);
  REQUIRE(r.exit_code == 0);
  const nlohmann::json j = nlohmann::json::parse(r.output);
  CHECK(j.at("command") == "bench-variants");
  CHECK(j.at("images") == 64);
  CHECK(j.at("repeats") == 2);
  const auto& models = j.at("models");
  REQUIRE(models.size() == 2);
  const auto& base = models[0];
  const auto& variant = models[1];
  CHECK(base.at("time_ratio").get<double>() == 1.0);
  CHECK(base.at("parameters_ratio").get<double>() == 1.0);
  CHECK(base.at("top1_differs_from_base") == 0);
  CHECK(variant.at("name") == "dup_only_50");
  check_timing(variant.at("ms"));
  CHECK(variant.at("ms").at("runs").size() == 2);
  CHECK(variant.at("time_ratio").get<double>() > 0);
  // Half of every layer's channels copied (all of the classifier's): more parameters and work, not double.
  CHECK(variant.at("parameters_ratio").get<double>() > 1.3);
  CHECK(variant.at("parameters_ratio").get<double>() < 2.0);
  CHECK(variant.at("macs_ratio").get<double>() > 1.3);
  CHECK(variant.at("macs_ratio").get<double>() < 2.0);
  // Fault-free, duplication changes no prediction.
  CHECK(variant.at("top1_differs_from_base") == 0);
  CHECK(variant.at("accuracy") == base.at("accuracy"));
}

TEST_CASE("ftcnn bench-variants names a missing variant", "[bench][bad-input]") {
  const RunResult r = run_ftcnn("bench-variants" + kDefault + " --variant /nonexistent/variant.h5");
  INFO("output: " << r.output);
  CHECK(r.exit_code != 0);
  CHECK(r.exit_code < 128);
  CHECK(r.output.find("/nonexistent/variant.h5") != std::string::npos);
}
