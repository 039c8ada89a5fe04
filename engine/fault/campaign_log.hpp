// The campaign log, `runs.jsonl`: one JSON object per line. The first line is the header (configuration,
// identity, golden run); every further line is one completed repetition, optionally with its fault list.
// Lines are flushed as they are written; a last line cut short by a kill is dropped on resume.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/fault/campaign.hpp"

namespace ftcnn {

nlohmann::json campaign_header(const CampaignConfig& config, const CampaignIdentity& identity,
                               const GoldenRun& golden);

// The convolution algorithms a log's header records (empty when there is no log or none are recorded), to
// pin them when the campaign resumes.
AlgorithmChoices logged_algorithms(const std::string& log_path);

// Returns "" when a log's header describes the same campaign, else the first difference. `repetitions` may
// grow between runs (the campaign continues to the new count).
std::string header_mismatch(const nlohmann::json& existing, const nlohmann::json& wanted);

RepetitionRecord record_from_json(const nlohmann::json& line);

struct LogContents {
  bool exists = false;
  nlohmann::json header;
  std::vector<RepetitionRecord> records;
  std::vector<long> record_offsets;  // where each record's line starts (it ends where the next starts)
  long complete_bytes = 0;           // length of the whole lines read; anything after is a torn last line
};

// Reads a log; throws naming the file and line on anything but a torn last line.
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
