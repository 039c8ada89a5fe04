#include "app/campaign_command.hpp"

#include <fmt/format.h>

#include <memory>

#include "app/campaign_table.hpp"
#include "app/cli_common.hpp"
#include "app/fault_plan.hpp"
#include "app/flag_lists.hpp"
#include "app/progress_bar.hpp"
#include "app/stop_on_signal.hpp"
#include "engine/device.hpp"
#include "engine/error.hpp"
#include "engine/fault/campaign.hpp"
#include "engine/fault/campaign_log.hpp"
#include "engine/fault/fault_file.hpp"
#include "engine/io/campaign_report.hpp"
#include "engine/memory_limit.hpp"

#ifdef FTCNN_WITH_MPI
#include "app/embedding.hpp"
#include "engine/mpi/mpi_campaign.hpp"
#endif

namespace ftcnn {
class MpiJob;  // engine/mpi/mpi_campaign.hpp, in a build with MPI
}  // namespace ftcnn

namespace ftcnn::cli {
namespace {

struct CampaignOptions {
  ModelOptions model;
  std::string data;
  std::string bers;
  int64_t repetitions = 100;
  uint64_t seed = 1;
  std::string count = "paper";
  ImageSelection images;
  std::string targets;
  std::string out = "out/campaign";
  std::string device = "cpu";
  int64_t batch = 0;
  int threads = 0;
  bool log_faults = false;
  bool verify_each = false;
  bool allow_zero_faults = false;
  bool json = false;
  std::string shard = "1/1";
  int64_t chunk = 1;
  std::string checkpoint_memory = "auto";
};

struct Setup {
  Model model;
  Dataset data;
  std::unique_ptr<FaultTargets> targets;
  std::unique_ptr<FaultEvaluator> evaluator;
};

Setup prepare(const ModelOptions& model_options, const std::string& data_dir, const ImageSelection& images,
              const std::string& targets, const std::string& device, int64_t batch, int threads,
              const AlgorithmChoices& pinned_algorithms = {}, int cuda_device = 0,
              int64_t checkpoint_budget = 0) {
  const Device device_kind = parse_device(device);
  require_device(device_kind);
  Setup s;
  s.model = load_model_from(model_options);
  s.data = load_selected_images(data_dir, "test", images);
  FT_CHECK(s.data.count > 0, "{}: no images", data_dir);
  s.targets = with_flag("--targets", [&] {
    return std::make_unique<FaultTargets>(s.model.graph->parameters(), parse_target_selection(targets));
  });
  const Preprocessing& pre = s.model.info.preprocessing;
  s.evaluator = make_fault_evaluator(
      *s.model.graph, *s.targets, s.data, pre.scale, pre.mean, pre.std, device_kind,
      EvaluatorOptions{batch, threads, pinned_algorithms, cuda_device, checkpoint_budget});
  return s;
}

// A campaign as one process (`job` null) or as one rank of an MPI job (engine/mpi/mpi_campaign.hpp).
void run_campaign_in(const CampaignOptions& o, const MpiJob* job) {
  // A resumed CUDA campaign computes with the convolution algorithms its log records (not a new, timed
  // choice), so that its golden run and repetitions are those of the log.
  AlgorithmChoices pinned = logged_algorithms(o.out + "/runs.jsonl");
  int cuda_device = 0;
  int64_t checkpoints =
      with_flag("--checkpoint-memory", [&] { return parse_checkpoint_memory(o.checkpoint_memory); });
#ifdef FTCNN_WITH_MPI
  if (job != nullptr) {
    // Rank 0 computes no repetition: it keeps none. CPU ranks share their nodes' memory: each takes its share
    // of the default (of all ranks but 0, as if on one node: never more than the memory there is).
    if (job->rank() == 0) {
      checkpoints = 0;
    } else if (checkpoints < 0 && parse_device(o.device) == Device::cpu) {
      checkpoints = default_checkpoint_budget(available_memory_bytes()) / std::max(job->size() - 1, 1);
    }
  }
#endif
  Setup s;
#ifdef FTCNN_WITH_MPI
  if (job != nullptr) {
    // One GPU per rank on a node; and every rank computes with rank 0's convolution algorithms (its log's,
    // or those its golden run chooses), as one process computes every repetition with one set.
    const int devices = parse_device(o.device) == Device::cuda ? cuda_device_count() : 0;
    cuda_device = devices > 0 ? job->local_rank() % devices : 0;
    std::string algorithms;
    if (job->rank() == 0) {
      s = prepare(o.model, o.data, o.images, o.targets, o.device, o.batch, o.threads, pinned, cuda_device,
                  checkpoints);
      if (pinned.empty() && parse_device(o.device) == Device::cuda) {
        s.evaluator->golden();  // chooses the algorithms
        pinned = s.evaluator->algorithms();
      }
      algorithms = nlohmann::json(pinned).dump();
    }
    job->broadcast(algorithms);
    if (job->rank() > 0) {
      pinned = nlohmann::json::parse(algorithms).get<AlgorithmChoices>();
      s = prepare(o.model, o.data, o.images, o.targets, o.device, o.batch, o.threads, pinned, cuda_device,
                  checkpoints);
    }
  }
#endif
  if (job == nullptr) {
    s = prepare(o.model, o.data, o.images, o.targets, o.device, o.batch, o.threads, pinned, cuda_device,
                checkpoints);
  }
  CampaignConfig config;
  config.bers = parse_ber_list(o.bers);
  config.repetitions = o.repetitions;
  config.seed = o.seed;
  config.count = with_flag("--count", [&] { return parse_count_model(o.count); });
  config.targets = s.targets->selection();
  config.log_faults = o.log_faults;
  config.verify_every_repetition = o.verify_each;
  config.shard = with_flag("--shard", [&] { return shard_from_text(o.shard); });
  const std::vector<FaultPlanRow> plan = fault_plan(*s.targets, config.count, config.bers);
  if (!o.allow_zero_faults) refuse_zero_fault_bers(plan, *s.targets, config.count);
#ifdef FTCNN_WITH_MPI
  std::unique_ptr<MpiCoordinator> coordinator;
  if (job != nullptr) {
    if (job->rank() > 0) return serve_repetitions(*job, *s.evaluator, *s.targets, config);
    coordinator = std::make_unique<MpiCoordinator>(*job, o.chunk);
  }
#endif
  CampaignIdentity identity{s.model.path,
                            s.model.graph->parameters().checksum_hex(),
                            s.model.graph->spec().arch,
                            s.data.source,
                            s.data.count,
                            o.device,
                            s.evaluator->description(),
                            version(),
                            {},  // the algorithms: Campaign::run takes them from the evaluator
                            // Spread images only when fewer than all were asked for: all is all either way.
                            o.images.evenly_spaced && o.images.count > 0};
  Campaign campaign(config, identity, s.model.graph->parameters(), *s.targets, *s.evaluator, o.out);
#ifdef FTCNN_WITH_MPI
  campaign.compute_with(coordinator.get());
#endif
  const int64_t total = static_cast<int64_t>(config.bers.size()) * config.shard.share(config.repetitions);
  ProgressBar bar(config.shard.whole() ? "campaign" : "campaign shard " + config.shard.str(), total, "rep");
  const StopOnSignal signals;
  const CampaignResult result = campaign.run(
      [&](const CampaignProgress& p) {
        // Once the log is open and checked, before the first repetition: what each BER will inject.
        if (p.done == 0) {
          if (!o.json) print_fault_plan(plan, config.count);
          return;
        }
        bar.update(p.done, fmt::format("BER {:g}", p.ber), p.resumed);
      },
      [&] { return signals.requested(); });
  bar.finish();
  const int64_t ran = static_cast<int64_t>(result.records.size()) - result.resumed;
  if (result.stopped) {
    throw Interrupted(
        signals.signal_number(),
        fmt::format("campaign stopped by {} after {} of {} repetitions ({} run now), all logged "
                    "in {}/runs.jsonl: rerun the same command to resume",
                    signal_name(signals.signal_number()), result.records.size(), total, ran, o.out));
  }
  const double rate = result.seconds > 0 ? static_cast<double>(ran) / result.seconds : 0.0;
  if (o.json) {
    nlohmann::json reply = {{"command", "campaign"},
                            {"out", o.out},
                            {"golden_accuracy", static_cast<double>(result.golden.correct) /
                                                    static_cast<double>(result.golden.images)},
                            {"repetitions_run", ran},
                            {"repetitions_resumed", result.resumed},
                            {"seconds", result.seconds},
                            {"repetitions_per_second", rate},
                            {"faults_per_repetition", fault_plan_json(plan, config.count)},
                            {"checkpoints", checkpoints_json(result.checkpoints, *s.model.graph)},
                            {"version", version()}};
    if (config.shard.whole()) {
      reply["per_ber"] = campaign_rows_json(result.summary);
    } else {
      reply["shard"] = config.shard.str();
    }
#ifdef FTCNN_WITH_MPI
    if (coordinator) {
      reply["mpi"] = {{"ranks", job->size()},
                      {"chunk", o.chunk},
                      {"rank0_waiting_seconds", coordinator->seconds_waiting()},
                      {"rank0_messaging_seconds", coordinator->seconds_messaging()},
                      {"rank0_writing_seconds", coordinator->seconds_writing()}};
    }
#endif
    print_json(reply);
    return;
  }
  fmt::print("{} on {} images ({}), seed {}, {} count, targets {}\n", s.model.path, s.data.count,
             s.evaluator->description(), o.seed, o.count, describe(config.targets));
  fmt::print("golden accuracy {:.2f} %; {} repetitions run ({} resumed) in {:.1f} s, {:.2f} rep/s\n",
             100.0 * static_cast<double>(result.golden.correct) / static_cast<double>(result.golden.images),
             ran, result.resumed, result.seconds, rate);
  fmt::print("checkpoints: {}\n", describe(result.checkpoints, *s.model.graph));
#ifdef FTCNN_WITH_MPI
  if (coordinator) {
    fmt::print(
        "MPI: {} ranks (rank 0 writes, {} compute), chunk {}; rank 0: {:.3f} s on messages, {:.3f} s writing "
        "the log, {:.3f} s waiting\n",
        job->size(), job->size() - 1, o.chunk, coordinator->seconds_messaging(),
        coordinator->seconds_writing(), coordinator->seconds_waiting());
  }
#endif
  if (!config.shard.whole()) {
    fmt::print(
        "shard {} done: wrote {}/campaign.json and runs.jsonl; once all {} shards are done, `ftcnn merge "
        "--out DIR "
        "SHARD_DIR...` writes the campaign's log and summaries\n",
        config.shard.str(), o.out, config.shard.count);
    return;
  }
  print_campaign_table(result.summary);
  fmt::print(
      "wrote {0}/campaign.json, {0}/runs.jsonl, {0}/summary.csv, {0}/summary.json, {0}/accuracy_drop.svg\n",
      o.out);
}

void run_campaign(const CampaignOptions& o) {
#ifdef FTCNN_WITH_MPI
  if (embedded()) {  // Python: one process, never an MPI job
    run_campaign_in(o, nullptr);
    return;
  }
  const MpiJob job;
  if (job.distributed()) {
    try {
      run_campaign_in(o, &job);
    } catch (const Interrupted&) {
      throw;  // rank 0 stopped on a signal, after every other rank was told to stop
    } catch (const std::exception& e) {
      // One line naming the rank, then the whole job ends: no rank is left waiting for this one.
      fmt::print(stderr, "ftcnn: error: rank {} of {}: {}\n", job.rank(), job.size(), e.what());
      job.abort(1);
    }
    return;
  }
#endif
  run_campaign_in(o, nullptr);
}

struct ReplayOptions {
  ModelOptions model;
  std::string data;
  std::string faults;
  double ber = -1;
  int64_t repetition = -1;
  ImageSelection images;  // default: the campaign's
  std::string device = "cpu";
  int64_t batch = 0;
  int threads = 0;
  bool json = false;
};

void run_replay(const ReplayOptions& o) {
  const FaultList list = read_fault_list(o.faults, o.ber, o.repetition);
  // The campaign's images: its header's count (unless --images gives another) and always its selection, so
  // that a logged repetition is replayed on the images it ran on.
  FT_CHECK(!o.images.evenly_spaced || list.images == 0 || list.evenly_spaced,
           "--evenly-spaced: the campaign of {} classified the first images; replay takes its selection",
           o.faults);
  const ImageSelection images{o.images.count > 0 ? o.images.count : list.images,
                              list.images > 0 ? list.evenly_spaced : o.images.evenly_spaced};
  Setup s = prepare(o.model, o.data, images, "", o.device, o.batch, o.threads);
  const std::vector<FaultSite> sites = fault_sites_of(list, s.model.graph->parameters(), o.faults);
  const GoldenRun golden = s.evaluator->golden();
  const uint64_t checksum = s.evaluator->parameter_checksum();
  const OutcomeCounts outcome = s.evaluator->run_sites(sites);
  FT_CHECK(s.evaluator->parameter_checksum() == checksum, "restore after replay failed");
  const double n = static_cast<double>(golden.images);
  if (o.json) {
    print_json({{"command", "replay"},
                {"faults", static_cast<int64_t>(sites.size())},
                {"images", golden.images},
                {"golden_accuracy", golden.correct / n},
                {"accuracy", outcome.correct / n},
                {"correct", outcome.correct},
                {"masked", outcome.masked},
                {"sdc", outcome.sdc},
                {"due", outcome.due},
                {"version", version()}});
    return;
  }
  fmt::print("{} faults on {} images: accuracy {:.2f} % (golden {:.2f} %), masked {}, SDC {}, DUE {}\n",
             sites.size(), golden.images, 100 * outcome.correct / n, 100 * golden.correct / n, outcome.masked,
             outcome.sdc, outcome.due);
}

}  // namespace

void register_campaign_command(CLI::App& app) {
  auto o = std::make_shared<CampaignOptions>();
  CLI::App* c = app.add_subcommand("campaign", "Repeated bit-flip fault injection over bit error rates");
  add_model_options(*c, o->model);
  c->add_option("--data", o->data,
                "CIFAR binary or python folder, or an .npz/.h5 of images and labels (docs/datasets.md); its "
                "test split")
      ->required();
  c->add_option("--ber", o->bers, "comma-separated bit error rates, e.g. 1e-7,1e-6,1e-5")->required();
  c->add_option("--reps", o->repetitions, "repetitions per bit error rate")->check(positive_integer());
  c->add_option("--seed", o->seed, "campaign seed (every fault set derives from it)")->check(seed_value());
  c->add_option("--count", o->count,
                "faults per layer: paper = floor(BER x bits), binomial = Binomial(bits, BER)")
      ->check(CLI::IsMember({"paper", "binomial"}));
  add_image_selection(*c, o->images, "the test images each repetition classifies (default: all)");
  c->add_option("--targets", o->targets,
                "fault targets: layer=NAME|PREFIX.,kind=KIND,bits=all|sign|exponent|mantissa");
  c->add_option("--out", o->out, "output directory (rerun the same command on it to resume)");
  c->add_option("--device", o->device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  c->add_option("--batch", o->batch, "images per forward pass")->check(positive_integer());
  c->add_option("--threads", o->threads, "CPU threads (default: all)")->check(non_negative_integer());
  c->add_flag("--log-faults", o->log_faults, "log every repetition's fault list (for ftcnn replay)");
  c->add_flag("--verify-each", o->verify_each, "check the parameter checksum after every repetition");
  c->add_flag(
      "--allow-zero-faults", o->allow_zero_faults,
      "run a paper-count BER that injects no fault (refused otherwise: it would report 100 % masked)");
  c->add_option("--chunk", o->chunk,
                "under mpirun: repetitions rank 0 hands a rank per request (default 1; docs/distributed.md)")
      ->check(positive_integer());
  c->add_option("--checkpoint-memory", o->checkpoint_memory,
                "memory for golden activations that repetitions start from (docs/campaigns.md): a size "
                "(2G, 512M), 0 for none, or auto (a quarter of the free memory)");
  c->add_option("--shard", o->shard,
                "K/N: run only shard K of N (repetitions r with r mod N = K - 1), for ftcnn merge "
                "(docs/distributed.md)");
  c->add_flag("--json", o->json, "print one JSON object on stdout");
  c->callback([o] { run_campaign(*o); });
}

void register_replay_command(CLI::App& app) {
  auto o = std::make_shared<ReplayOptions>();
  CLI::App* c = app.add_subcommand("replay", "Re-evaluate a logged fault set");
  add_model_options(*c, o->model);
  c->add_option("--data", o->data,
                "CIFAR binary or python folder, or an .npz/.h5 of images and labels (docs/datasets.md); its "
                "test split")
      ->required();
  c->add_option("--faults", o->faults, "a campaign's runs.jsonl or a fault file (docs/fault_format.md)")
      ->required();
  c->add_option("--ber", o->ber, "BER of the logged repetition to replay");
  c->add_option("--repetition", o->repetition, "index of the logged repetition to replay");
  add_image_selection(*c, o->images, "the test images to classify (default: the campaign's)");
  c->add_option("--device", o->device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  c->add_option("--batch", o->batch, "images per forward pass")->check(positive_integer());
  c->add_option("--threads", o->threads, "CPU threads (default: all)")->check(non_negative_integer());
  c->add_flag("--json", o->json, "print one JSON object on stdout");
  c->callback([o] { run_replay(*o); });
}

}  // namespace ftcnn::cli
