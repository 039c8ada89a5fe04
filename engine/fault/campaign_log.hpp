// A campaign's log: `campaign.json`, the header (configuration, identity, golden run), written once and
// atomically before the first repetition; and `runs.jsonl` beside it, one JSON object per line, one line per
// completed repetition (optionally with its fault list), so that `pandas.read_json(lines=True)` takes it as
// it is. Lines are flushed as they are written; a last line cut short by a kill is dropped on resume.
// The previous layout (no campaign.json; the header as the first line of runs.jsonl) still reads, and a
// campaign resumed on such a directory goes on in that layout (docs/campaigns.md).
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/fault/campaign.hpp"

namespace ftcnn {

nlohmann::json campaign_header(const CampaignConfig& config, const CampaignIdentity& identity,
                               const GoldenRun& golden);

// The header file of the log `log_path` (<its directory>/campaign.json).
std::string campaign_header_path(const std::string& log_path);
// The header file of `log_path` when there is one; nullopt when absent (the previous layout, or no log).
// Throws naming the file when it is not a campaign header.
std::optional<nlohmann::json> read_campaign_header_file(const std::string& log_path);
// Writes a log's header file, atomically.
void write_campaign_header(const std::string& log_path, const nlohmann::json& header);

// The convolution algorithms a log's header records (empty when there is no log or none are recorded), to
// pin them when the campaign resumes.
AlgorithmChoices logged_algorithms(const std::string& log_path);

// Returns "" when a log's header describes the same campaign, else the first difference. `repetitions` may
// grow between runs (the campaign continues to the new count).
std::string header_mismatch(const nlohmann::json& existing, const nlohmann::json& wanted);

RepetitionRecord record_from_json(const nlohmann::json& line);

struct LogContents {
  bool exists = false;         // a header was found (its records may be none)
  bool header_inline = false;  // the previous layout: the header is line 1 of runs.jsonl
  nlohmann::json header;
  std::vector<RepetitionRecord> records;
  std::vector<long> record_offsets;  // where each record's line starts (it ends where the next starts)
  long complete_bytes = 0;           // length of the whole lines read; anything after is a torn last line
};

// Reads a log, either layout; throws naming the file and line on anything but a torn last line.
LogContents read_campaign_log(const std::string& path);

// Appends lines and flushes each one.
class LogWriter {
 public:
  // Truncates the file to `keep_bytes` first (dropping a torn line), or creates it when keep_bytes < 0.
  LogWriter(const std::string& path, long keep_bytes);
  ~LogWriter();
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;
  void append(const nlohmann::json& line);
  void append_line(std::string text);  // one line of JSON text, without its newline
  // One repetition's line, with its fault list when `sites` is given (streamed: memory does not grow with
  // the list).
  void append_record(const RepetitionRecord& record, const std::vector<FaultSite>* sites,
                     const ParameterStore& store);

 private:
  void write(const std::string& text);
  void flush();

  std::string path_;
  std::FILE* file_ = nullptr;
};

}  // namespace ftcnn
