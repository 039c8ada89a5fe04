#include "engine/fault/campaign_merge.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include "engine/error.hpp"
#include "engine/fault/campaign_log.hpp"
#include "engine/fault/directory_lock.hpp"
#include "engine/io/atomic_file.hpp"
#include "engine/io/campaign_report.hpp"
#include "engine/io/json_fields.hpp"

namespace ftcnn {
namespace {

struct ShardLog {
  std::string dir, path;
  Shard shard;
  LogContents log;
};

// Where one repetition's line is: its shard and its bytes there.
struct LineAt {
  size_t shard = 0;
  long offset = 0, length = 0;
};

nlohmann::json without_shard(nlohmann::json header) {
  header.erase("shard");
  return header;
}

// The first key whose value differs between two headers, "" when none does.
std::string first_difference(const nlohmann::json& a, const nlohmann::json& b) {
  for (const auto& [key, value] : a.items()) {
    if (!b.contains(key) || b.at(key) != value) return key;
  }
  for (const auto& [key, value] : b.items()) {
    if (!a.contains(key)) return key;
  }
  return "";
}

ShardLog read_shard(const std::string& dir) {
  ShardLog s;
  s.dir = dir;
  s.path = dir + "/runs.jsonl";
  FT_CHECK(std::filesystem::is_regular_file(s.path), "{}: no campaign log (runs.jsonl) to merge", dir);
  s.log = read_campaign_log(s.path);
  FT_CHECK(s.log.exists,
           "{}: the log has no header (no campaign.json beside it: the shard was killed before it began?)",
           s.path);
  const nlohmann::json& h = s.log.header;
  try {
    s.shard = shard_from_text(h.contains("shard") ? h.at("shard").get<std::string>() : "1/1");
  } catch (const nlohmann::json::exception& e) {
    FT_THROW("{}: malformed 'shard' in the header: {}", s.path, e.what());
  } catch (const Error& e) {
    FT_THROW("{}: {}", s.path, e.what());
  }
  return s;
}

GoldenRun golden_of(const nlohmann::json& header, const std::string& path) {
  try {
    const nlohmann::json& g = header.at("golden");
    GoldenRun golden;
    golden.images = json_integer(g.at("images"), "'golden.images'");
    golden.correct = json_integer(g.at("correct"), "'golden.correct'");
    golden.non_finite = json_integer(g.at("non_finite"), "'golden.non_finite'");
    FT_CHECK(golden.images > 0 && golden.correct >= 0 && golden.correct <= golden.images,
             "golden run of {} images with {} correct", golden.images, golden.correct);
    return golden;
  } catch (const nlohmann::json::exception& e) {
    FT_THROW("{}: malformed golden run in the header: {}", path, e.what());
  } catch (const Error& e) {
    FT_THROW("{}: {}", path, e.what());
  }
}

}  // namespace

MergedCampaign merge_campaign_shards(const std::vector<std::string>& shard_dirs, const std::string& out_dir) {
  FT_CHECK(!shard_dirs.empty(), "merge: no shard directories given");
  std::vector<ShardLog> shards;
  for (const std::string& dir : shard_dirs) shards.push_back(read_shard(dir));

  // One campaign, every shard once.
  const ShardLog& first = shards.front();
  const nlohmann::json header = without_shard(first.log.header);
  const int64_t count = first.shard.count;
  std::map<int64_t, const ShardLog*> by_index;
  for (const ShardLog& s : shards) {
    FT_CHECK(!s.shard.whole() || shards.size() == 1,
             "{} holds a whole campaign (run without --shard), not a shard of one", s.dir);
    FT_CHECK(s.shard.count == count, "{} is shard {} of a campaign split {} ways, {} is shard {} ({} ways)",
             s.dir, s.shard.str(), s.shard.count, first.dir, first.shard.str(), count);
    const auto [it, fresh] = by_index.emplace(s.shard.index, &s);
    FT_CHECK(fresh, "shard {} is given twice: {} and {}", s.shard.str(), it->second->dir, s.dir);
    const std::string key = first_difference(header, without_shard(s.log.header));
    FT_CHECK(key.empty(), "{} is a shard of another campaign than {}: '{}' differs ({} against {})", s.dir,
             first.dir, key, s.log.header.contains(key) ? s.log.header.at(key).dump() : "absent",
             header.contains(key) ? header.at(key).dump() : "absent");
  }
  for (int64_t k = 1; k <= count; ++k) {
    FT_CHECK(by_index.count(k) == 1, "shard {}/{} is missing: merge needs all {} shard directories", k, count,
             count);
  }

  std::vector<double> bers;
  int64_t repetitions = 0;
  try {
    for (const nlohmann::json& b : header.at("bers")) bers.push_back(json_number(b, "'bers'"));
    repetitions = json_integer(header.at("repetitions"), "'repetitions'");
  } catch (const nlohmann::json::exception& e) {
    FT_THROW("{}: malformed header: {}", first.path, e.what());
  } catch (const Error& e) {
    FT_THROW("{}: malformed header: {}", first.path, e.what());
  }
  const GoldenRun golden = golden_of(header, first.path);

  // Every repetition of the campaign from the one shard that runs it. Records beyond the campaign's BERs or
  // repetitions are left out, as a resume leaves them.
  std::map<double, size_t> ber_index;
  for (size_t b = 0; b < bers.size(); ++b) ber_index.emplace(bers[b], b);
  std::map<std::pair<size_t, int64_t>, std::pair<RepetitionRecord, LineAt>> found;
  for (size_t s = 0; s < shards.size(); ++s) {
    const ShardLog& shard = shards[s];
    const std::vector<RepetitionRecord>& records = shard.log.records;
    for (size_t i = 0; i < records.size(); ++i) {
      const RepetitionRecord& r = records[i];
      const auto b = ber_index.find(r.ber);
      if (b == ber_index.end() || r.repetition < 0 || r.repetition >= repetitions) continue;
      FT_CHECK(shard.shard.takes(r.repetition), "{}: BER {} repetition {} does not belong to shard {}",
               shard.path, r.ber, r.repetition, shard.shard.str());
      check_campaign_record(r, golden.images, shard.path);
      const long offset = shard.log.record_offsets[i];
      const long end = i + 1 < records.size() ? shard.log.record_offsets[i + 1] : shard.log.complete_bytes;
      const auto [it, fresh] = found.emplace(std::make_pair(b->second, r.repetition),
                                             std::make_pair(r, LineAt{s, offset, end - offset}));
      FT_CHECK(fresh, "{}: BER {} repetition {} is logged twice", shard.path, r.ber, r.repetition);
    }
  }
  for (size_t b = 0; b < bers.size(); ++b) {
    for (int64_t rep = 0; rep < repetitions; ++rep) {
      if (found.count({b, rep}) == 1) continue;
      const ShardLog& owner = *by_index.at(rep % count + 1);
      FT_THROW(
          "BER {} repetition {} is missing: shard {} ({}) has not finished; rerun its command on that "
          "directory, then merge again",
          bers[b], rep, owner.shard.str(), owner.dir);
    }
  }

  // The merged log: the header file, then each record's line from its shard in (BER, repetition) order (a
  // merge killed in between leaves a campaign with no repetitions yet, which resumes, not a headerless log).
  std::error_code error;
  std::filesystem::create_directories(out_dir, error);
  FT_CHECK(!error, "{}: cannot create the output directory: {}", out_dir, error.message());
  const DirectoryLock lock(out_dir);
  const std::string log_path = out_dir + "/runs.jsonl";
  FT_CHECK(!std::filesystem::exists(log_path) && !std::filesystem::exists(campaign_header_path(log_path)),
           "{}: holds a campaign log already; merge into a new directory", out_dir);
  std::vector<std::unique_ptr<std::ifstream>> inputs;
  for (const ShardLog& s : shards) {
    inputs.push_back(std::make_unique<std::ifstream>(s.path, std::ios::binary));
    FT_CHECK(*inputs.back(), "{}: cannot open for reading", s.path);
  }
  MergedCampaign merged;
  merged.header = header;
  merged.shards = count;
  merged.result.golden = golden;
  write_campaign_header(log_path, header);
  AtomicFile log(log_path);
  std::string buffer;
  for (const auto& [key, entry] : found) {
    const LineAt& at = entry.second;
    std::ifstream& in = *inputs[at.shard];
    buffer.resize(static_cast<size_t>(at.length));
    in.seekg(at.offset);
    FT_CHECK(in.read(buffer.data(), at.length), "{}: cannot read it again (changed while merging?)",
             shards[at.shard].path);
    log.write(buffer);
    merged.result.records.push_back(entry.first);
  }
  log.commit();
  merged.result.summary = summarize_campaign(bers, golden, merged.result.records);
  write_campaign_report(out_dir, header, merged.result);
  return merged;
}

}  // namespace ftcnn
