// Fault injection: IEEE-754 bit flips against hand-computed values, exact restore, the counter-based
// generator, fault counts and sites.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <set>

#include "engine/fault/fault_counts.hpp"
#include "engine/graph.hpp"
#include "models/architectures.hpp"

using namespace ftcnn;

namespace {

float flipped(float value, uint32_t bit) {
  std::vector<float> arena{value};
  flip_bits(arena.data(), {FaultSite{0, bit, 0}});
  return arena[0];
}

uint32_t bits_of(float value) {
  uint32_t b;
  std::memcpy(&b, &value, sizeof b);
  return b;
}

}  // namespace

TEST_CASE("bit flips give the IEEE-754 values computed by hand", "[fault]") {
  CHECK(flipped(1.0f, 31) == -1.0f);                                   // sign
  CHECK(flipped(1.0f, 23) == 0.5f);                                    // lowest exponent bit: 2^0 -> 2^-1
  CHECK(flipped(1.0f, 30) == std::numeric_limits<float>::infinity());  // 0x3f800000 ^ 0x40000000 = 0x7f800000
  CHECK(std::isnan(flipped(1.5f, 30)));  // 0x7fc00000: exponent all ones, mantissa non-zero
  CHECK(flipped(2.0f, 30) == 0.0f);      // 0x40000000 ^ 0x40000000 = +0
  CHECK(flipped(0.0f, 0) == std::numeric_limits<float>::denorm_min());  // smallest denormal
  CHECK(flipped(0.0f, 31) == 0.0f);
  CHECK(std::signbit(flipped(0.0f, 31)));  // -0
  CHECK(flipped(1.0f, 22) == 1.5f);        // top mantissa bit
  CHECK(flipped(std::numeric_limits<float>::denorm_min(), 23) ==
        std::numeric_limits<float>::min() + std::numeric_limits<float>::denorm_min());
  CHECK(bits_of(flipped(-3.25f, 0)) == (bits_of(-3.25f) ^ 1u));
}

TEST_CASE("flipping the same sites twice restores the arena bit for bit", "[fault]") {
  Graph graph(build_architecture("small"));
  auto& arena = graph.parameters().arena();
  for (size_t i = 0; i < arena.size(); ++i) arena[i] = static_cast<float>(std::sin(static_cast<double>(i)));
  const uint64_t before = graph.parameters().checksum();
  const std::vector<float> copy = arena;
  FaultTargets targets(graph.parameters(), TargetSelection{});
  const FaultKey key{7, ber_hash(1e-3), 3};
  const auto sites = fault_sites(targets, fault_counts(targets, CountModel::binomial, 1e-3, key), key);
  REQUIRE(sites.size() > 100);
  flip_bits(arena.data(), sites);
  CHECK(graph.parameters().checksum() != before);
  flip_bits(arena.data(), sites);
  CHECK(graph.parameters().checksum() == before);
  CHECK(std::memcmp(arena.data(), copy.data(), arena.size() * sizeof(float)) == 0);
}

TEST_CASE("a bit flipped twice in one repetition is restored, as two real upsets would be", "[fault]") {
  std::vector<float> arena{1.0f};
  flip_bits(arena.data(), {FaultSite{0, 30, 0}, FaultSite{0, 30, 0}});
  CHECK(arena[0] == 1.0f);
}

TEST_CASE("Philox4x32-10 matches the Random123 known-answer vectors", "[fault]") {
  const PhiloxCounter zero = philox4x32_10(PhiloxCounter{{0, 0, 0, 0}}, PhiloxKey{{0, 0}});
  CHECK(zero.word[0] == 0x6627e8d5u);
  CHECK(zero.word[1] == 0xe169c58du);
  CHECK(zero.word[2] == 0xbc57ac4cu);
  CHECK(zero.word[3] == 0x9b00dbd8u);
  const PhiloxCounter ones = philox4x32_10(PhiloxCounter{{~0u, ~0u, ~0u, ~0u}}, PhiloxKey{{~0u, ~0u}});
  CHECK(ones.word[0] == 0x408f276du);
  CHECK(ones.word[1] == 0x41c83b0eu);
  CHECK(ones.word[2] == 0xa20bc7c6u);
  CHECK(ones.word[3] == 0x6d5451fdu);
  const PhiloxCounter pi = philox4x32_10(PhiloxCounter{{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}},
                                         PhiloxKey{{0xa4093822u, 0x299f31d0u}});
  CHECK(pi.word[0] == 0xd16cfe09u);
  CHECK(pi.word[1] == 0x94fdccebu);
  CHECK(pi.word[2] == 0x5001e420u);
  CHECK(pi.word[3] == 0x24126ea1u);
}

TEST_CASE("a repetition's fault set depends only on its key, not on the order of draws", "[fault]") {
  Graph graph(build_architecture("vgg11"));
  FaultTargets targets(graph.parameters(), TargetSelection{});
  const FaultKey key{42, ber_hash(1e-6), 17};
  const auto counts = fault_counts(targets, CountModel::paper, 1e-6, key);
  const auto forward = fault_sites(targets, counts, key);
  // Draw group by group in reverse order, each group's draws backwards: the same multiset of sites.
  std::vector<FaultSite> backward;
  for (int g = static_cast<int>(counts.size()) - 1; g >= 0; --g) {
    for (int64_t i = counts[static_cast<size_t>(g)] - 1; i >= 0; --i) {
      backward.push_back(fault_site(key, targets.groups().data(), targets.tensors().data(),
                                    targets.bit_first(), targets.bit_count(), static_cast<uint32_t>(g),
                                    static_cast<uint32_t>(i)));
    }
  }
  auto as_set = [](const std::vector<FaultSite>& v) {
    std::multiset<std::pair<int64_t, uint32_t>> s;
    for (const auto& f : v) s.insert({f.element, f.bit});
    return s;
  };
  CHECK(as_set(forward) == as_set(backward));
  const FaultKey other{42, ber_hash(1e-6), 18};
  CHECK(as_set(fault_sites(targets, counts, other)) != as_set(forward));
}

TEST_CASE("paper counts are floor(BER x 32 x params) per layer", "[fault]") {
  Graph graph(build_architecture("alexnet"));
  FaultTargets targets(graph.parameters(), TargetSelection{});
  const auto counts = fault_counts(targets, CountModel::paper, 1e-6, FaultKey{});
  REQUIRE(counts.size() == 8);  // 5 conv + 3 linear layers
  // features.0: 96*3*11*11 + 96 = 34,944 values -> 1,118,208 bits -> 1 fault at 1e-6.
  CHECK(targets.group_layer(0) == "features.0");
  CHECK(counts[0] == 1);
  // classifier.4: 4096*4096 + 4096 = 16,781,312 values -> 537,001,984 bits -> 537 faults.
  CHECK(targets.group_layer(6) == "classifier.4");
  CHECK(counts[6] == 537);
  CHECK(counts[7] == 1);  // classifier.6: 40,970 values -> 1,311,040 bits
}

TEST_CASE("binomial counts have the binomial mean and variance", "[fault]") {
  const uint64_t n = 200000;
  const double p = 2.5e-4;  // mean 50, variance 49.9875
  const int draws = 4000;
  double sum = 0, squares = 0;
  for (int r = 0; r < draws; ++r) {
    const double x =
        static_cast<double>(binomial_draw(n, p, FaultKey{5, ber_hash(p), static_cast<uint32_t>(r)}, 0));
    sum += x;
    squares += x * x;
  }
  const double mean = sum / draws, variance = squares / draws - mean * mean;
  // Standard error of the mean: sqrt(50 / 4000) = 0.11; of the variance: about sqrt(2 * 50^2 / 4000) = 1.1.
  CHECK(std::fabs(mean - n * p) < 0.45);
  CHECK(std::fabs(variance - n * p * (1 - p)) < 4.5);
  CHECK(binomial_draw(n, 0.0, FaultKey{}, 0) == 0);
  CHECK(binomial_draw(n, 1.0, FaultKey{}, 0) == static_cast<int64_t>(n));
}

TEST_CASE("sites respect the selected tensors and bit range", "[fault]") {
  Graph graph(build_architecture("vgg11"));
  const ParameterStore& store = graph.parameters();
  const TargetSelection selection =
      parse_target_selection("layer=features.1,kind=bn_running_var,bits=exponent");
  FaultTargets targets(store, selection);
  REQUIRE(targets.groups().size() == 1);
  const FaultKey key{3, ber_hash(1e-2), 0};
  const auto sites = fault_sites(targets, fault_counts(targets, CountModel::paper, 1e-2, key), key);
  REQUIRE(sites.size() == 5);  // floor(0.01 * 64 * 8)
  for (const FaultSite& s : sites) {
    CHECK(store.info(s.tensor).name == "features.1.running_var");
    CHECK(s.bit >= 23);
    CHECK(s.bit <= 30);
    CHECK(s.element >= store.info(s.tensor).offset);
    CHECK(s.element < store.info(s.tensor).offset + 64);
  }
  CHECK_THROWS_WITH(parse_target_selection("kind=gamma"), Catch::Contains("unknown kind 'gamma'"));
  CHECK_THROWS_WITH(FaultTargets(store, parse_target_selection("layer=features.99")),
                    Catch::Contains("features.99"));
}

TEST_CASE("sites are uniform over a group's bits", "[fault]") {
  ModelSpec spec;
  spec.arch = "test";
  spec.input = Shape{4};
  spec.layers.push_back(linear_spec("fc", 4, 2, true));  // 8 weights + 2 biases = 10 values = 320 bits
  Graph graph(spec);
  FaultTargets targets(graph.parameters(), TargetSelection{});
  std::map<int64_t, int> per_value;
  const int draws = 32000;
  for (int i = 0; i < draws; ++i) {
    const FaultSite s = fault_site(FaultKey{9, 1, 0}, targets.groups().data(), targets.tensors().data(), 0,
                                   32, 0, static_cast<uint32_t>(i));
    ++per_value[s.element];
  }
  REQUIRE(per_value.size() == 10);
  for (const auto& [element, count] : per_value) CHECK(std::abs(count - draws / 10) < 250);  // 5 sigma
}
