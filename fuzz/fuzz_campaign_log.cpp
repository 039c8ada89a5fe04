// A campaign's log, runs.jsonl (docs/campaigns.md), as a resume reads it: the input is the log in an output
// directory, and a campaign is run on that directory. Its configuration and identity are those of the test
// suite's logged campaign (test/fixtures/outputs_small/campaign), so the fixture log resumes and mutations of
// it reach every check of a resume (header, records, counts); a stand-in evaluator makes it instant.
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/fault/campaign.hpp"
#include "engine/fault/campaign_log.hpp"
#include "engine/fault/fault_counts.hpp"
#include "engine/fault/fault_targets.hpp"
#include "fuzz/fuzz_support.hpp"

namespace {

// The golden run of the logged campaign; every repetition masks every image.
class StandInEvaluator final : public ftcnn::FaultEvaluator {
 public:
  explicit StandInEvaluator(ftcnn::GoldenRun golden) : golden_(golden) {}
  std::string description() const override { return "stand-in"; }
  ftcnn::GoldenRun golden() override { return golden_; }
  ftcnn::OutcomeCounts run_repetition(const ftcnn::FaultKey&, const std::vector<int64_t>&) override {
    return {golden_.correct, golden_.images, 0, 0};
  }
  ftcnn::OutcomeCounts run_sites(const std::vector<ftcnn::FaultSite>&) override {
    return {golden_.correct, golden_.images, 0, 0};
  }
  uint64_t parameter_checksum() override { return 0; }
  ftcnn::AlgorithmChoices algorithms() const override { return {}; }

 private:
  ftcnn::GoldenRun golden_;
};

struct LoggedCampaign {
  const ftcnn::Model& model = ftcnn::fuzz::small_model();
  ftcnn::CampaignConfig config;
  ftcnn::CampaignIdentity identity;
  ftcnn::GoldenRun golden;
  std::unique_ptr<ftcnn::FaultTargets> targets;

  LoggedCampaign() {
    std::ifstream in(ftcnn::fuzz::fixture_path("outputs_small/campaign/runs.jsonl"));
    std::string line;
    std::getline(in, line);
    const nlohmann::json h = nlohmann::json::parse(line);
    config.bers = h.at("bers").get<std::vector<double>>();
    config.repetitions = h.at("repetitions").get<int64_t>();
    config.seed = h.at("seed").get<uint64_t>();
    config.count = ftcnn::parse_count_model(h.at("count").get<std::string>());
    config.targets = ftcnn::parse_target_selection(h.at("targets").get<std::string>());
    config.log_faults = h.at("log_faults").get<bool>();
    identity = {h.at("model"),       h.at("model_checksum"), h.at("arch"),
                h.at("data"),        h.at("images"),         h.at("device"),
                h.at("device_name"), h.at("version"),        {}};
    golden = {h.at("golden").at("images"), h.at("golden").at("correct"), h.at("golden").at("non_finite")};
    targets = std::make_unique<ftcnn::FaultTargets>(model.graph->parameters(), config.targets);
  }
};

const LoggedCampaign* logged = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ftcnn::fuzz::initialize_fuzz_target();
  logged = new LoggedCampaign();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string out = ftcnn::fuzz::scratch_directory() + "/campaign";
  std::filesystem::remove_all(out);
  std::filesystem::create_directory(out);
  ftcnn::fuzz::write_scratch_file("campaign/runs.jsonl", data, size);
  ftcnn::fuzz::expect_clean_outcome([&] {
    StandInEvaluator evaluator(logged->golden);
    ftcnn::Campaign campaign(logged->config, logged->identity, logged->model.graph->parameters(),
                             *logged->targets, evaluator, out);
    (void)campaign.run();
  });
  return 0;
}
