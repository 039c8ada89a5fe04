// Every enum that has names (engine/enum_names.hpp) names every value, uniquely, and reads each name back;
// an unknown name is refused listing the names it could have been.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "engine/device.hpp"
#include "engine/fault/fault_counts.hpp"
#include "engine/fault/fault_targets.hpp"
#include "engine/hardening.hpp"
#include "engine/model_spec.hpp"
#include "engine/parameter_store.hpp"
#include "engine/pruning.hpp"
#include "engine/vulnerability/vulnerability.hpp"

namespace ftcnn {
namespace {

template <typename Enum, typename Name, typename Parse>
void check_names(const std::vector<Enum>& values, Name name, Parse parse) {
  std::set<std::string> seen;
  for (Enum v : values) {
    const std::string n = name(v);
    INFO(n);
    CHECK(n != "?");
    CHECK(seen.insert(n).second);  // unique
    CHECK(parse(n) == v);
  }
}

}  // namespace

TEST_CASE("enum names: every value has one, and it reads back", "[enum-names]") {
  check_names<Device>({Device::cpu, Device::cuda}, device_name, parse_device);
  check_names<CountModel>({CountModel::paper, CountModel::binomial}, count_model_name, parse_count_model);
  check_names<ParamKind>(
      {ParamKind::weight, ParamKind::bias, ParamKind::bn_weight, ParamKind::bn_bias,
       ParamKind::bn_running_mean, ParamKind::bn_running_var, ParamKind::edac_lower, ParamKind::edac_upper},
      param_kind_name, param_kind_from_name);
  check_names<EdacMode>({EdacMode::edac, EdacMode::dup_only}, edac_mode_name, edac_mode_from_name);
  check_names<HardenMode>({HardenMode::edac, HardenMode::dup_only, HardenMode::tmr}, harden_mode_name,
                          harden_mode_from_name);
  check_names<PruneScope>({PruneScope::layer, PruneScope::global}, prune_scope_name, prune_scope_from_name);
  check_names<ScoreNormalization>(
      {ScoreNormalization::none, ScoreNormalization::mean, ScoreNormalization::l2}, score_normalization_name,
      score_normalization_from_name);
  check_names<VulnerabilityMethod>({VulnerabilityMethod::exact, VulnerabilityMethod::batch,
                                    VulnerabilityMethod::l1, VulnerabilityMethod::random},
                                   vulnerability_method_name, vulnerability_method_from_name);
  for (BitRange r : {BitRange::all, BitRange::sign, BitRange::exponent, BitRange::mantissa}) {
    const TargetSelection s = parse_target_selection(std::string("bits=") + bit_range_name(r));
    CHECK(s.bits == r);
  }
}

TEST_CASE("enum names: an unknown name is refused with the names it could have been", "[enum-names]") {
  CHECK_THROWS_WITH(parse_device("gpu"), Catch::Contains("unknown device 'gpu' (cpu, cuda)"));
  CHECK_THROWS_WITH(parse_count_model("poisson"),
                    Catch::Contains("unknown fault count model 'poisson' (paper, binomial)"));
  CHECK_THROWS_WITH(harden_mode_from_name("triple"),
                    Catch::Contains("unknown hardening mode 'triple' (edac, dup-only, tmr)"));
  CHECK_THROWS_WITH(prune_scope_from_name("model"),
                    Catch::Contains("unknown pruning scope 'model' (layer, global)"));
  CHECK_THROWS_WITH(parse_target_selection("bits=low"),
                    Catch::Contains("unknown bit range 'low' (all, sign, exponent, mantissa)"));
  CHECK_THROWS_WITH(
      parse_target_selection("kind=gamma"),
      Catch::Contains("unknown kind 'gamma' (weight, bias, bn_weight, bn_bias, bn_running_mean, "
                      "bn_running_var, edac_lower, edac_upper)"));
}

}  // namespace ftcnn
