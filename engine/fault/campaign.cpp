#include "engine/fault/campaign.hpp"

#include <chrono>
#include <filesystem>
#include <map>

#include "engine/error.hpp"
#include "engine/fault/campaign_log.hpp"
#include "engine/fault/directory_lock.hpp"
#include "engine/io/campaign_report.hpp"

namespace ftcnn {

Campaign::Campaign(CampaignConfig config, CampaignIdentity identity, const ParameterStore& store,
                   const FaultTargets& targets, FaultEvaluator& evaluator, std::string out_dir)
    : config_(std::move(config)),
      identity_(std::move(identity)),
      store_(store),
      targets_(targets),
      evaluator_(evaluator),
      out_dir_(std::move(out_dir)) {
  FT_CHECK(!config_.bers.empty(), "a campaign needs at least one bit error rate");
  for (double ber : config_.bers)
    FT_CHECK(ber >= 0.0 && ber <= 1.0, "bit error rate {} is outside [0, 1]", ber);
  FT_CHECK(config_.repetitions > 0, "repetitions must be positive, got {}", config_.repetitions);
  // Far beyond any campaign that can finish (2^40 repetitions at a microsecond each take 13 days), and
  // small enough that every count and rate derived from it stays exact in int64 and double.
  constexpr int64_t kMaxRepetitions = int64_t{1} << 40;
  FT_CHECK(config_.repetitions <= kMaxRepetitions / static_cast<int64_t>(config_.bers.size()),
           "{} repetitions at {} bit error rates: more than 2^40 repetitions in all", config_.repetitions,
           config_.bers.size());
}

CheckpointPlan plan_campaign_checkpoints(FaultEvaluator& evaluator, const FaultTargets& targets,
                                         const CampaignConfig& config) {
  return evaluator.plan_checkpoints([&](const RepetitionCountsVisitor& visit) {
    for (double ber : config.bers) {
      for (int64_t rep = config.shard.index - 1; rep < config.repetitions; rep += config.shard.count) {
        const FaultKey key = RepetitionTask{ber, rep}.key(config.seed);
        visit(fault_counts(targets, config.count, ber, key));
      }
    }
  });
}

// A logged repetition must be one this campaign could have written: counts that are not negative, whose
// outcomes add up to the images, and no more correct images than images.
void check_campaign_record(const RepetitionRecord& r, int64_t images, const std::string& log_path) {
  const OutcomeCounts& o = r.outcome;
  const auto count = [images](int64_t value) { return value >= 0 && value <= images; };
  // Each count within [0, images] before they are summed, so the sum cannot overflow.
  const bool fits = r.faults >= 0 && count(o.correct) && count(o.masked) && count(o.sdc) && count(o.due) &&
                    o.masked + o.sdc + o.due == images;
  FT_CHECK(
      fits,
      "{}: BER {} repetition {}: faults {}, correct {}, masked {}, SDC {}, DUE {} do not describe {} images; "
      "the log was edited or damaged",
      log_path, r.ber, r.repetition, r.faults, o.correct, o.masked, o.sdc, o.due, images);
}

CampaignResult Campaign::run(const std::function<void(const CampaignProgress&)>& progress,
                             const std::function<bool()>& stop) {
  CampaignResult result;
  std::error_code error;
  std::filesystem::create_directories(out_dir_, error);
  FT_CHECK(!error, "{}: cannot create the output directory: {}", out_dir_, error.message());
  const DirectoryLock lock(out_dir_);  // one run per directory, before anything is read or written

  const uint64_t golden_checksum = evaluator_.parameter_checksum();
  result.checkpoints = plan_campaign_checkpoints(evaluator_, targets_, config_);
  result.golden = evaluator_.golden();
  if (result.golden.non_finite > 0) {
    warn(
        fmt::format("the fault-free run has NaN or Inf logits on {} of {} images: they are DUE in every "
                    "repetition, and no fault can change that",
                    result.golden.non_finite, result.golden.images));
  }
  identity_.algorithms = evaluator_.algorithms();
  const nlohmann::json header = campaign_header(config_, identity_, result.golden);
  const std::string log_path = out_dir_ + "/runs.jsonl";
  LogContents log = read_campaign_log(log_path);
  // Repetitions already done, by (BER, repetition); a log from another campaign is never touched.
  std::map<std::pair<double, int64_t>, RepetitionRecord> done;
  if (log.exists) {
    const std::string mismatch = header_mismatch(log.header, header);
    FT_CHECK(mismatch.empty(), "{}: holds a different campaign ({}); choose another output directory",
             out_dir_, mismatch);
    for (const RepetitionRecord& r : log.records) {
      check_campaign_record(r, result.golden.images, log_path);
      done[{r.ber, r.repetition}] = r;
    }
  }
  // A new log: its header file first (atomically), then the records' file.
  if (!log.exists) write_campaign_header(log_path, header);
  LogWriter writer(log_path, log.exists ? log.complete_bytes : -1);

  // The campaign's repetitions in order: those the log holds are taken from it, the others computed by the
  // executor (this process, or the workers of an MPI job), which hands their outcomes back in this order.
  const Shard& shard = config_.shard;
  struct Slot {
    double ber;
    int64_t repetition;
    const RepetitionRecord* logged;  // nullptr: to compute
  };
  std::vector<Slot> slots;
  std::vector<RepetitionTask> tasks;
  std::vector<size_t> slot_of_task;
  for (double ber : config_.bers) {
    for (int64_t rep = shard.index - 1; rep < config_.repetitions; rep += shard.count) {
      const auto found = done.find({ber, rep});
      if (found == done.end()) {
        tasks.push_back({ber, rep});
        slot_of_task.push_back(slots.size());
      }
      slots.push_back({ber, rep, found == done.end() ? nullptr : &found->second});
    }
  }
  const int64_t total = static_cast<int64_t>(slots.size());
  if (progress) progress({0, total, 0, slots.empty() ? 0.0 : slots.front().ber});
  size_t next = 0;      // the first slot not yet in result.records
  size_t computed = 0;  // tasks finished
  const auto add_logged_before = [&](size_t end) {
    for (; next < end; ++next) {
      result.records.push_back(*slots[next].logged);
      ++result.resumed;  // only what this configuration uses: a log may hold more (a larger --reps)
      if (progress) progress({static_cast<int64_t>(next) + 1, total, result.resumed, slots[next].ber});
    }
  };
  const auto start = std::chrono::steady_clock::now();
  const auto finished = [&](size_t task, const OutcomeCounts& outcome) {
    const RepetitionTask& t = tasks[task];
    add_logged_before(slot_of_task[task]);
    const FaultKey key = t.key(config_.seed);
    const std::vector<int64_t> counts = fault_counts(targets_, config_.count, t.ber, key);
    RepetitionRecord record;
    record.ber = t.ber;
    record.repetition = t.repetition;
    for (int64_t c : counts) record.faults += c;
    record.outcome = outcome;
    std::vector<FaultSite> sites;
    if (config_.log_faults) sites = fault_sites(targets_, counts, key);
    writer.append_record(record, config_.log_faults ? &sites : nullptr, store_);
    result.records.push_back(record);
    ++next;
    if (progress) progress({static_cast<int64_t>(next), total, result.resumed, t.ber});
    ++computed;
    // Between repetitions the log is complete and the parameters restored: a safe place to stop (not worth
    // it when the rest is logged already).
    return !(computed < tasks.size() && stop && stop());
  };
  if (executor_ != nullptr) {
    executor_->run(result.golden, golden_checksum, tasks, finished);
  } else {
    for (size_t task = 0; task < tasks.size(); ++task) {
      const RepetitionTask& t = tasks[task];
      const FaultKey key = t.key(config_.seed);
      const OutcomeCounts outcome =
          evaluator_.run_repetition(key, fault_counts(targets_, config_.count, t.ber, key));
      if (config_.verify_every_repetition) {
        FT_CHECK(evaluator_.parameter_checksum() == golden_checksum,
                 "parameters differ from the golden state after BER {} repetition {}: restore failed", t.ber,
                 t.repetition);
      }
      if (!finished(task, outcome)) break;
    }
  }
  // What remains logged after the last computed repetition (all of it when nothing was to compute), unless
  // the run stopped before the end.
  if (computed == tasks.size()) add_logged_before(slots.size());
  result.stopped = next < slots.size();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  FT_CHECK(evaluator_.parameter_checksum() == golden_checksum,
           "parameters differ from the golden state at the end of the campaign: restore failed");
  if (result.stopped || !shard.whole()) return result;  // a part of the campaign: `ftcnn merge` sums up
  result.summary = summarize_campaign(config_.bers, result.golden, result.records);
  write_campaign_report(out_dir_, header, result);
  return result;
}

std::vector<BerSummary> summarize_campaign(const std::vector<double>& bers, const GoldenRun& golden,
                                           const std::vector<RepetitionRecord>& records) {
  std::vector<BerSummary> summary;
  const double images = static_cast<double>(golden.images);
  const double golden_accuracy = static_cast<double>(golden.correct) / images;
  for (double ber : bers) {
    BerSummary s;
    s.ber = ber;
    std::vector<double> accuracy, drop, faults;
    for (const RepetitionRecord& r : records) {
      if (r.ber != ber) continue;
      const double a = static_cast<double>(r.outcome.correct) / images;
      accuracy.push_back(a);
      drop.push_back(golden_accuracy - a);
      faults.push_back(static_cast<double>(r.faults));
      s.masked += r.outcome.masked;
      s.sdc += r.outcome.sdc;
      s.due += r.outcome.due;
      s.image_trials += golden.images;
    }
    s.repetitions = static_cast<int64_t>(accuracy.size());
    s.accuracy = summarize(accuracy);
    s.accuracy_drop = summarize(drop);
    s.faults = summarize(faults);
    s.sdc_ci = wilson95(s.sdc, s.image_trials);
    s.due_ci = wilson95(s.due, s.image_trials);
    summary.push_back(s);
  }
  return summary;
}

}  // namespace ftcnn
