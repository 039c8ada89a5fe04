// Campaign checkpoints (engine/fault/checkpoints.hpp): a repetition starts from golden activations at the
// deepest checkpoint before its first faulty layer, and every outcome equals the whole forward pass's.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <limits>

#include "engine/fault/campaign.hpp"
#include "engine/fault/checkpoints.hpp"
#include "engine/fault/fault_counts.hpp"
#include "engine/io/model_file.hpp"
#include "models/architectures.hpp"
#include "test/test_support.hpp"

using namespace ftcnn;

namespace {

constexpr int64_t kLarge = int64_t{1} << 30;  // bytes: room for every checkpoint of these small runs
const std::string kBundled = std::string(FTCNN_SOURCE_DIR) + "/data/default/";

// Real test images, so that trained models make varied predictions.
Dataset test_images(int64_t count) {
  return load_cifar(kBundled + "cifar10-test-slice", "test", count);
}

int node_named(const Graph& graph, const std::string& name) {
  for (int i = 0; i < graph.size(); ++i) {
    if (graph.layer(i).name() == name) return i;
  }
  FAIL("no node " << name);
  return -1;
}

struct CampaignRun {
  CampaignResult result;
  std::vector<RepetitionRecord> records;
};

// A campaign of `model` with the given checkpoint budget.
CampaignRun run_campaign(Model& model, const Dataset& data, const std::string& out, int64_t budget,
                         CountModel count, const std::vector<double>& bers, int64_t repetitions,
                         Device device = Device::cpu, const TargetSelection& targets = {}) {
  const FaultTargets fault_targets(model.graph->parameters(), targets);
  const Preprocessing& pre = model.info.preprocessing;
  EvaluatorOptions options;
  options.batch = 10;  // a tail batch too
  options.checkpoint_budget = budget;
  auto evaluator =
      make_fault_evaluator(*model.graph, fault_targets, data, pre.scale, pre.mean, pre.std, device, options);
  CampaignConfig config;
  config.bers = bers;
  config.repetitions = repetitions;
  config.seed = 7;
  config.count = count;
  config.targets = fault_targets.selection();
  config.verify_every_repetition = true;
  const CampaignIdentity identity{
      "m.h5", "x", model.graph->spec().arch, data.source, data.count, "cpu", "cpu", "test", {}};
  Campaign campaign(config, identity, model.graph->parameters(), fault_targets, *evaluator, out);
  CampaignRun run;
  run.result = campaign.run();
  run.records = run.result.records;
  return run;
}

// A CPU evaluator of `model` on `data` with a checkpoint budget (and a batch size, 0: the default).
std::unique_ptr<FaultEvaluator> evaluator_with(Model& model, const FaultTargets& targets, const Dataset& data,
                                               int64_t budget, int64_t batch = 0) {
  const Preprocessing& pre = model.info.preprocessing;
  EvaluatorOptions options;
  options.checkpoint_budget = budget;
  options.batch = batch;
  return make_fault_evaluator(*model.graph, targets, data, pre.scale, pre.mean, pre.std, Device::cpu,
                              options);
}

void check_same_outcome(const OutcomeCounts& a, const OutcomeCounts& b) {
  CHECK(a.correct == b.correct);
  CHECK(a.masked == b.masked);
  CHECK(a.sdc == b.sdc);
  CHECK(a.due == b.due);
}

void check_same_outcomes(const std::vector<RepetitionRecord>& with,
                         const std::vector<RepetitionRecord>& without) {
  REQUIRE(with.size() == without.size());
  for (size_t i = 0; i < with.size(); ++i) {
    INFO("BER " << with[i].ber << " repetition " << with[i].repetition);
    CHECK(with[i].faults == without[i].faults);
    check_same_outcome(with[i].outcome, without[i].outcome);
  }
}

}  // namespace

TEST_CASE("a cut lists the outputs that nodes from a start on read", "[checkpoints]") {
  const Graph chain(build_architecture("alexnet"));
  CHECK(chain.cut(0).empty());
  for (int s = 1; s < chain.size(); ++s) CHECK(chain.cut(s) == std::vector<int>{s - 1});
  // In a residual block the block's input is read by its first conv and by the shortcut's add.
  const Graph resnet(build_architecture("resnet20"));
  bool two = false;
  for (int s = 1; s < resnet.size(); ++s) {
    const std::vector<int> cut = resnet.cut(s);
    REQUIRE(!cut.empty());
    CHECK(cut.back() == s - 1);
    two = two || cut.size() == 2;
  }
  CHECK(two);
}

TEST_CASE("checkpoints are chosen for the demand, within the budget", "[checkpoints]") {
  const Graph graph(build_architecture("alexnet"));
  const int n = graph.size();
  const std::vector<int> unfused(static_cast<size_t>(n), 0);
  const int last = node_named(graph, "classifier.4");
  std::vector<int64_t> demand(static_cast<size_t>(n) + 1, 0);
  demand[static_cast<size_t>(last)] = 100;  // every repetition first hits the last linear layer
  const CheckpointPlan plan = choose_checkpoints(graph, unfused, demand, 1000, 1000, kLarge);
  REQUIRE(plan.starts == std::vector<int>{last});
  CHECK(plan.values == std::vector<int>{last - 1});
  CHECK(plan.bytes == graph.output_shapes(1)[static_cast<size_t>(last - 1)].per_item() * 4 * 1000);
  CHECK(plan.start_for(last) == last);
  CHECK(plan.start_for(last - 1) == 0);
  CHECK(plan.start_for(n) == last);
  // No budget, or too little for one value: nothing.
  CHECK(choose_checkpoints(graph, unfused, demand, 1000, 1000, 0).empty());
  CHECK(choose_checkpoints(graph, unfused, demand, 1000, 1000, plan.bytes - 1).starts !=
        std::vector<int>{last});
  for (int64_t budget : {int64_t{1} << 16, int64_t{1} << 20, int64_t{1} << 24})
    CHECK(choose_checkpoints(graph, unfused, demand, 1000, 1000, budget).bytes <= budget);
  // No demand: nothing saves work.
  CHECK(choose_checkpoints(graph, unfused, std::vector<int64_t>(static_cast<size_t>(n) + 1, 0), 1000, 1000,
                           kLarge)
            .empty());
  // A start never falls inside a fused step.
  std::vector<int> fused = unfused;
  fused[static_cast<size_t>(last)] = -1;
  const CheckpointPlan around = choose_checkpoints(graph, fused, demand, 1000, 1000, kLarge);
  CHECK(std::find(around.starts.begin(), around.starts.end(), last) == around.starts.end());
  CHECK(!around.empty());
}

TEST_CASE("memory sizes as --checkpoint-memory takes them", "[checkpoints]") {
  CHECK(parse_checkpoint_memory("auto") == -1);
  CHECK(parse_checkpoint_memory("0") == 0);
  CHECK(parse_checkpoint_memory("4096") == 4096);
  CHECK(parse_checkpoint_memory("2G") == int64_t{2} << 30);
  CHECK(parse_checkpoint_memory("512MiB") == int64_t{512} << 20);
  CHECK(parse_checkpoint_memory("1.5k") == 1536);
  CHECK(parse_checkpoint_memory("3B") == 3);
  for (const char* bad :
       {"", "-1", "2X", "G", "1e400", "nan", " 2G", "2 G", "0x10G", "1BB", "1..5G", "+1", "."})
    CHECK_THROWS_WITH(parse_checkpoint_memory(bad), Catch::Contains("is not a memory size"));
}

TEST_CASE("outcomes with checkpoints equal the whole forward pass's at every BER", "[checkpoints]") {
  test::TempDir dir;
  const Dataset data = test_images(16);
  struct Case {
    std::string model;
    std::vector<double> bers;
    int64_t repetitions;
  };
  // The bundled chain, a trained ResNet-20 (adds read by two nodes) and hardened models, whose copies and
  // interval bounds are fault targets too.
  const Case cases[] = {{kBundled + "small_cifar10.h5", {1e-7, 1e-6, 1e-5, 1e-4}, 5},
                        {kBundled + "resnet20_cifar10.h5", {1e-5, 1e-4}, 2},
                        {test::fixture_path("hardened_edac_small.h5"), {1e-6, 1e-5, 1e-4}, 4},
                        {test::fixture_path("hardened_tmr_small.h5"), {1e-6, 1e-5}, 4}};
  for (const Case& c : cases) {
    for (CountModel count : {CountModel::paper, CountModel::binomial}) {
      INFO(c.model << ", " << count_model_name(count) << " counts");
      Model model = load_model(c.model);
      const std::string tag = std::to_string(&c - cases) + count_model_name(count);
      const CampaignRun without =
          run_campaign(model, data, dir.file("without" + tag), 0, count, c.bers, c.repetitions);
      const CampaignRun with =
          run_campaign(model, data, dir.file("with" + tag), kLarge, count, c.bers, c.repetitions);
      CHECK(without.result.checkpoints.empty());
      CHECK(!with.result.checkpoints.empty());
      CHECK(with.result.golden.correct == without.result.golden.correct);
      check_same_outcomes(with.records, without.records);
    }
  }
}

TEST_CASE(
    "repetitions with faults only in the final linear layers, recomputed row by row, equal whole passes",
    "[checkpoints][linear]") {
  // engine/fault/linear_tail.hpp. Up to BER 1e-3 (thousands of flips: huge, infinite and NaN weights, every
  // image changed), faults in classifier.1 (then every classifier.3 row of an image is recomputed) or in
  // classifier.3 alone; a budget that holds only classifier.3's inputs leaves classifier.1 to checkpoints.
  test::TempDir dir;
  const Dataset data = test_images(23);
  Model model = load_model(kBundled + "small_cifar10.h5");
  const Graph& graph = *model.graph;
  const int first = node_named(graph, "classifier.1"), last = node_named(graph, "classifier.3");
  const int64_t last_only = 23 * (128 + 10) * static_cast<int64_t>(sizeof(float));
  for (const char* selection : {"layer=classifier.", "layer=classifier.3", "layer=classifier.1"}) {
    for (const int64_t budget : {kLarge, last_only}) {
      for (CountModel count : {CountModel::paper, CountModel::binomial}) {
        INFO(selection << ", budget " << budget << ", " << count_model_name(count) << " counts");
        const std::string tag =
            std::string(selection).substr(6) + std::to_string(budget) + count_model_name(count);
        const std::vector<double> bers{1e-6, 1e-5, 1e-4, 1e-3};
        const TargetSelection targets = parse_target_selection(selection);
        const CampaignRun without =
            run_campaign(model, data, dir.file("without" + tag), 0, count, bers, 6, Device::cpu, targets);
        const CampaignRun with =
            run_campaign(model, data, dir.file("with" + tag), budget, count, bers, 6, Device::cpu, targets);
        CHECK(without.result.checkpoints.linear_tail.empty());
        // With room for classifier.3's values alone, the tail serves only repetitions that flip nothing in
        // classifier.1; it is kept only when some do.
        const std::vector<int>& tail = with.result.checkpoints.linear_tail;
        if (budget == kLarge)
          CHECK(tail == std::vector<int>{first, last});
        else if (std::string(selection) == "layer=classifier.3")
          CHECK(tail == std::vector<int>{last});
        else if (std::string(selection) == "layer=classifier.1")
          CHECK(tail.empty());
        else
          CHECK((tail.empty() || tail == std::vector<int>{last}));
        CHECK(with.result.golden.correct == without.result.golden.correct);
        check_same_outcomes(with.records, without.records);
      }
    }
  }
  // With sgemm's linear layers (FTCNN_CPU_LINEAR=blas) there is no tail: a row alone need not round as the
  // whole layer does.
  const test::ScopedEnvironment blas("FTCNN_CPU_LINEAR", "blas");
  const CampaignRun sgemm = run_campaign(model, data, dir.file("blas"), kLarge, CountModel::paper, {1e-4}, 2,
                                         Device::cpu, parse_target_selection("layer=classifier."));
  CHECK(sgemm.result.checkpoints.linear_tail.empty());
  CHECK(!sgemm.result.checkpoints.empty());
}

TEST_CASE("CUDA outcomes with checkpoints equal the whole forward pass's, fused hardened layers too",
          "[cuda][checkpoints]") {
  if (test::skip_without_gpu()) return;
  test::TempDir dir;
  const Dataset data = test_images(16);
  // The hardened model's correction layers absorb the BatchNorm and ReLU after them (CUDA fusion): a start
  // must never fall inside such a step.
  for (const std::string& path :
       {kBundled + "resnet20_cifar10.h5", test::fixture_path("hardened_edac_small.h5"),
        test::fixture_path("hardened_tmr_small.h5")}) {
    for (CountModel count : {CountModel::paper, CountModel::binomial}) {
      INFO(path << ", " << count_model_name(count) << " counts");
      Model model = load_model(path);
      const std::string tag = std::to_string(std::hash<std::string>{}(path)) + count_model_name(count);
      const std::vector<double> bers{1e-6, 1e-5, 1e-4};
      const CampaignRun without =
          run_campaign(model, data, dir.file("without" + tag), 0, count, bers, 3, Device::cuda);
      const CampaignRun with =
          run_campaign(model, data, dir.file("with" + tag), kLarge, count, bers, 3, Device::cuda);
      CHECK(!with.result.checkpoints.empty());
      CHECK(with.result.golden.correct == without.result.golden.correct);
      check_same_outcomes(with.records, without.records);
    }
  }
}

TEST_CASE("a repetition starts at its checkpoint: the layers before it do not run", "[checkpoints]") {
  // Faults only in the last linear layer; after the golden run the first conv's weights are changed behind
  // the evaluator's back. A repetition that starts at the checkpoint cannot see the change; a whole forward
  // pass does.
  const Dataset data = test_images(24);
  Model model = load_model(kBundled + "small_cifar10.h5");
  Graph& graph = *model.graph;
  const std::string last = graph.layer(graph.size() - 1).name();
  const FaultTargets targets(graph.parameters(), parse_target_selection("layer=" + last));
  const Preprocessing& pre = model.info.preprocessing;
  const auto outcome = [&](int64_t budget, bool change_first_conv) {
    EvaluatorOptions options;
    options.checkpoint_budget = budget;
    auto evaluator =
        make_fault_evaluator(graph, targets, data, pre.scale, pre.mean, pre.std, Device::cpu, options);
    const std::vector<int64_t> counts = paper_counts(targets, 1e-3);
    const CheckpointPlan plan =
        evaluator->plan_checkpoints([&](const RepetitionCountsVisitor& visit) { visit(counts); });
    evaluator->golden();
    ParameterStore& store = graph.parameters();
    float* weight = store.host(0);  // the first conv's weight
    const std::vector<float> saved(weight, weight + store.info(0).numel());
    if (change_first_conv) std::fill(weight, weight + store.info(0).numel(), 0.0f);
    const OutcomeCounts result = evaluator->run_repetition(FaultKey{1, 2, 3}, counts);
    std::copy(saved.begin(), saved.end(), weight);
    return std::make_pair(plan, result);
  };
  const auto [plan, reference] = outcome(0, false);
  CHECK(plan.empty());
  CHECK(plan.linear_tail.empty());
  // The last layer recomputed row by row (engine/fault/linear_tail.hpp) ...
  const auto [tail, unchanged_tail] = outcome(kLarge, true);
  REQUIRE(!tail.linear_tail.empty());
  CHECK(tail.linear_tail.back() == graph.size() - 1);
  CHECK(unchanged_tail.masked == reference.masked);
  CHECK(unchanged_tail.correct == reference.correct);
  {
    // ... or, with sgemm's linear layers, a start at it.
    const test::ScopedEnvironment blas("FTCNN_CPU_LINEAR", "blas");
    const auto [started, unchanged] = outcome(kLarge, true);
    REQUIRE(!started.empty());
    CHECK(started.linear_tail.empty());
    CHECK(started.starts.back() == graph.size() - 1);
    CHECK(unchanged.masked == reference.masked);
    CHECK(unchanged.correct == reference.correct);
  }
  const auto [none, changed] = outcome(0, true);
  CHECK(changed.masked < reference.masked);  // a whole pass sees the zeroed conv
}

TEST_CASE("kept values lie batch by batch on 256-byte boundaries, in the memory the plan reports",
          "[checkpoints]") {
  // A hardened model's layers have widths that are no multiple of 64 floats.
  Model model = load_model(test::fixture_path("hardened_edac_small.h5"));
  const Graph& graph = *model.graph;
  const FaultTargets targets(graph.parameters(), TargetSelection{});
  const std::vector<int64_t> counts = paper_counts(targets, 1e-3);
  const int64_t images = 250, batch = 100;
  const CheckpointLayout layout(
      graph, std::vector<int>(static_cast<size_t>(graph.size()), 0), targets,
      [&](const RepetitionCountsVisitor& visit) {
        std::vector<int64_t> late(counts.size(), 0);
        late.back() = 1;  // the last group first: the deepest start
        visit(late);
        visit(counts);
      },
      images, batch, kLarge);
  REQUIRE(!layout.plan().empty());
  CHECK(layout.floats() * 4 == layout.plan().bytes);
  const std::vector<Shape> shapes = graph.output_shapes(1);
  bool odd = false;
  for (int p : layout.plan().values) {
    odd = odd || shapes[static_cast<size_t>(p)].per_item() % 64 != 0;
    for (int64_t first = 0; first < images; first += batch) {
      const int64_t at = layout.offset(p, first);
      CHECK(at % 64 == 0);
      const int64_t count = std::min(batch, images - first);
      CHECK(at + shapes[static_cast<size_t>(p)].per_item() * count <= layout.floats());
    }
  }
  CHECK(odd);
  CHECK_THROWS_WITH(layout.offset(layout.plan().values.front(), 1), Catch::Contains("per batch of 100"));
}

TEST_CASE("planning again, and a golden run before planning, keep outcomes exact", "[checkpoints]") {
  // MPI rank 0 runs a golden pass before the campaign plans; a second plan replaces the first.
  const Dataset data = test_images(24);
  Model model = load_model(kBundled + "small_cifar10.h5");
  const FaultTargets targets(model.graph->parameters(), TargetSelection{});
  const std::vector<int64_t> counts = paper_counts(targets, 1e-5);
  const FaultKey key{9, 8, 7};
  const auto plain = evaluator_with(model, targets, data, 0);
  plain->golden();
  const OutcomeCounts reference = plain->run_repetition(key, counts);
  auto evaluator = evaluator_with(model, targets, data, kLarge, 10);
  evaluator->golden();
  const auto each = [&](const RepetitionCountsVisitor& visit) { visit(counts); };
  REQUIRE(!evaluator->plan_checkpoints(each).empty());
  CHECK_THROWS_WITH(evaluator->run_repetition(key, counts), Catch::Contains("golden"));  // stale until then
  evaluator->golden();
  REQUIRE(!evaluator->plan_checkpoints(each).empty());
  evaluator->golden();
  check_same_outcome(evaluator->run_repetition(key, counts), reference);
}

TEST_CASE("a replayed fault list starts at its checkpoint with the same outcome", "[checkpoints]") {
  const Dataset data = test_images(24);
  Model model = load_model(kBundled + "resnet20_cifar10.h5");
  const FaultTargets targets(model.graph->parameters(), TargetSelection{});
  const std::vector<int64_t> counts = paper_counts(targets, 2e-5);
  const std::vector<FaultSite> sites = fault_sites(targets, counts, FaultKey{3, 4, 5});
  std::vector<OutcomeCounts> outcomes;
  for (int64_t budget : {int64_t{0}, kLarge}) {
    auto evaluator = evaluator_with(model, targets, data, budget);
    const CheckpointPlan plan =
        evaluator->plan_checkpoints([&](const RepetitionCountsVisitor& visit) { visit(counts); });
    CHECK(plan.empty() == (budget == 0));
    evaluator->golden();
    outcomes.push_back(evaluator->run_sites(sites));
    CHECK(outcomes.back().masked + outcomes.back().sdc + outcomes.back().due == 24);
  }
  check_same_outcome(outcomes[0], outcomes[1]);
}
