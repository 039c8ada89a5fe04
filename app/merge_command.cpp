#include "app/merge_command.hpp"

#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "app/campaign_table.hpp"
#include "app/cli_common.hpp"
#include "engine/fault/campaign_merge.hpp"

namespace ftcnn::cli {
namespace {

struct MergeOptions {
  std::vector<std::string> shards;
  std::string out;
  bool json = false;
};

void run_merge(const MergeOptions& o) {
  const MergedCampaign merged = merge_campaign_shards(o.shards, o.out);
  const CampaignResult& r = merged.result;
  const double golden_accuracy = static_cast<double>(r.golden.correct) / static_cast<double>(r.golden.images);
  if (o.json) {
    print_json({{"command", "merge"},
                {"out", o.out},
                {"shards", merged.shards},
                {"golden_accuracy", golden_accuracy},
                {"repetitions", r.records.size()},
                {"per_ber", campaign_rows_json(r.summary)},
                {"version", version()}});
    return;
  }
  fmt::print("merged {} shards of {} (seed {}): {} repetitions, golden accuracy {:.2f} %\n", merged.shards,
             merged.header.at("model").get<std::string>(), merged.header.at("seed").dump(), r.records.size(),
             100.0 * golden_accuracy);
  print_campaign_table(r.summary);
  fmt::print(
      "wrote {0}/campaign.json, {0}/runs.jsonl, {0}/summary.csv, {0}/summary.json, {0}/accuracy_drop.svg\n",
      o.out);
}

}  // namespace

void register_merge_command(CLI::App& app) {
  auto o = std::make_shared<MergeOptions>();
  CLI::App* c = app.add_subcommand(
      "merge",
      "merge the shard directories of one campaign (campaign --shard K/N) into its log and summaries");
  c->add_option("shards", o->shards, "the N shard directories, in any order")->required();
  c->add_option("--out", o->out, "output directory for the merged campaign (must not hold a log yet)")
      ->required();
  c->add_flag("--json", o->json, "print one JSON object on stdout");
  c->callback([o] { run_merge(*o); });
}

}  // namespace ftcnn::cli
