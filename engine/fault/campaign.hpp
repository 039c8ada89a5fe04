// A fault-injection campaign: a golden run, then for every bit error rate and repetition: inject, classify,
// compare with the golden predictions, restore. Every repetition is appended to a JSON-lines log as it
// completes, so a killed campaign rerun with the same configuration and output directory resumes after the
// last completed repetition; the summary is always computed from the log, so it equals an uninterrupted
// run's bit for bit. See docs/campaigns.md.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/fault/fault_counts.hpp"
#include "engine/fault/fault_evaluator.hpp"
#include "engine/fault/fault_key.hpp"
#include "engine/fault/shard.hpp"
#include "engine/fault/statistics.hpp"

namespace ftcnn {

struct CampaignConfig {
  std::vector<double> bers;
  int64_t repetitions = 0;
  uint64_t seed = 1;
  CountModel count = CountModel::paper;
  TargetSelection targets;
  bool log_faults = false;
  bool verify_every_repetition = false;
  // This process's share (docs/distributed.md); a shard of several writes its log and no summary.
  Shard shard;
};

// What identifies the campaign's inputs (recorded in the log header, compared on resume).
struct CampaignIdentity {
  std::string model_path, model_checksum, arch;
  std::string data_source;
  int64_t images = 0;
  std::string device, device_name, version;
  // The convolution algorithms of the golden run (CUDA; Campaign::run fills them from the evaluator).
  AlgorithmChoices algorithms;
  // The images spread over the test split (--evenly-spaced), not its first ones. Last, so that brace lists
  // of the fields above need not name it.
  bool evenly_spaced = false;
};

struct RepetitionRecord {
  double ber = 0;
  int64_t repetition = 0;
  int64_t faults = 0;
  OutcomeCounts outcome;
};

struct BerSummary {
  double ber = 0;
  int64_t repetitions = 0;
  SampleSummary accuracy;       // fraction correct, per repetition
  SampleSummary accuracy_drop;  // golden accuracy - accuracy, per repetition
  SampleSummary faults;         // faults injected per repetition
  int64_t image_trials = 0;     // repetitions x images
  int64_t masked = 0, sdc = 0, due = 0;
  Interval sdc_ci, due_ci;  // Wilson 95 % over image trials
};

struct CampaignResult {
  GoldenRun golden;
  std::vector<RepetitionRecord> records;  // in (BER, repetition) order
  std::vector<BerSummary> summary;
  int64_t resumed = 0;         // repetitions found in the log at start
  CheckpointPlan checkpoints;  // where repetitions may start (engine/fault/checkpoints.hpp)
  double seconds = 0;          // wall time of the repetitions run now
  // Stopped on request before the last repetition: `records` holds what is done (all logged), `summary` is
  // empty and no summary file was written; a rerun resumes.
  bool stopped = false;
};

// What Campaign::run reports once when its log is open and checked (done = 0, before any repetition: the
// moment to say what is about to run), then after every repetition.
struct CampaignProgress {
  int64_t done = 0;     // repetitions complete, those found in the log included
  int64_t total = 0;    // repetitions of the campaign
  int64_t resumed = 0;  // of `done`, found in the log rather than run now
  double ber = 0;       // the BER of the repetition just completed (the first BER when done = 0)
};

// A repetition the campaign's log lacks, to compute.
struct RepetitionTask {
  double ber = 0;
  int64_t repetition = 0;
  FaultKey key(uint64_t seed) const { return {seed, ber_hash(ber), static_cast<uint32_t>(repetition)}; }
};

// Computes repetitions somewhere else than in the campaign's own process: on the workers of an MPI job
// (engine/mpi/). It computes each task's outcome with the campaign's configuration (fault_counts for the
// task's key, FaultEvaluator::run_repetition) and hands them to `finished` in task order, one by one, as
// they come; when `finished` returns false (the campaign was asked to stop) it hands out no more work and
// returns once nothing is in flight. Throws on any failure of the workers.
class RepetitionExecutor {
 public:
  virtual ~RepetitionExecutor() = default;
  // `golden` and `checksum`: the campaign's golden run and parameter checksum, which whoever computes the
  // repetitions must reproduce first.
  virtual void run(const GoldenRun& golden, uint64_t checksum, const std::vector<RepetitionTask>& tasks,
                   const std::function<bool(size_t task, const OutcomeCounts& outcome)>& finished) = 0;
};

// Has the evaluator choose its checkpoints for the repetitions of `config` (this shard's, logged or not):
// before any golden run whose values they keep.
CheckpointPlan plan_campaign_checkpoints(FaultEvaluator& evaluator, const FaultTargets& targets,
                                         const CampaignConfig& config);

// Throws naming the log, the BER and the repetition unless `record` is one a campaign on `images` images
// could have logged (counts not negative, outcomes adding up to the images).
void check_campaign_record(const RepetitionRecord& record, int64_t images, const std::string& log_path);

// The per-BER summary of `records` (any order), for the BERs in `bers` in that order.
std::vector<BerSummary> summarize_campaign(const std::vector<double>& bers, const GoldenRun& golden,
                                           const std::vector<RepetitionRecord>& records);

class Campaign {
 public:
  Campaign(CampaignConfig config, CampaignIdentity identity, const ParameterStore& store,
           const FaultTargets& targets, FaultEvaluator& evaluator, std::string out_dir);
  // `progress` once before the first repetition and after every repetition; `stop` (when set) is asked after
  // every repetition run now, and true ends the run there (CampaignResult::stopped).
  CampaignResult run(const std::function<void(const CampaignProgress&)>& progress = {},
                     const std::function<bool()>& stop = {});
  // Computes the repetitions through `executor` instead of this process's evaluator (which still computes
  // the golden run the log's header records); the log, the summaries and the result are the same.
  void compute_with(RepetitionExecutor* executor) { executor_ = executor; }

 private:
  CampaignConfig config_;
  CampaignIdentity identity_;
  const ParameterStore& store_;
  const FaultTargets& targets_;
  FaultEvaluator& evaluator_;
  std::string out_dir_;
  RepetitionExecutor* executor_ = nullptr;
};

}  // namespace ftcnn
