#include "engine/mpi/mpi_campaign.hpp"

#include <mpi.h>

#include <chrono>
#include <cstdlib>
#include <limits>

#include "engine/error.hpp"

namespace ftcnn {
namespace {

enum Tag : int { kHello = 1, kRequest = 2, kWork = 3, kResult = 4 };

// What rank 0 hands out: a task's index in its list, its BER and repetition.
struct WorkItem {
  uint64_t task;
  double ber;
  int64_t repetition;
};

struct ResultMessage {
  uint64_t task;
  int64_t correct, masked, sdc, due;
};

// A rank's golden run and parameter checksum, sent before it asks for work.
struct Hello {
  int64_t images, correct, non_finite;
  uint64_t checksum;
};

bool launched_by_mpi() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMI_SIZE") != nullptr ||
         std::getenv("PMIX_RANK") != nullptr;
}

int byte_count(size_t bytes) {
  FT_CHECK(bytes <= static_cast<size_t>(std::numeric_limits<int>::max()), "MPI message of {} bytes", bytes);
  return static_cast<int>(bytes);
}

}  // namespace

MpiJob::MpiJob() {
  if (!launched_by_mpi()) return;
  int provided = 0;
  // Only the main thread calls MPI; OpenMP teams compute between the calls.
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  started_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  if (const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_RANK")) {
    local_rank_ = std::atoi(local);
  } else {
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node);
    MPI_Comm_rank(node, &local_rank_);
    MPI_Comm_free(&node);
  }
}

MpiJob::~MpiJob() {
  if (started_) MPI_Finalize();
}

void MpiJob::abort(int code) const {
  if (started_) MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);
}

void MpiJob::broadcast(std::string& text) const {
  if (!started_) return;
  uint64_t length = text.size();
  MPI_Bcast(&length, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  text.resize(length);
  MPI_Bcast(text.data(), byte_count(length), MPI_BYTE, 0, MPI_COMM_WORLD);
}

MpiCoordinator::MpiCoordinator(const MpiJob& job, int64_t chunk) : job_(job), chunk_(chunk) {
  FT_CHECK(job.rank() == 0 && job.size() > 1, "the MPI coordinator is rank 0 of a job of several ranks");
  FT_CHECK(chunk >= 1, "--chunk must be at least 1, got {}", chunk);
}

void MpiCoordinator::run(const GoldenRun& golden, uint64_t checksum, const std::vector<RepetitionTask>& tasks,
                         const std::function<bool(size_t, const OutcomeCounts&)>& finished) {
  using Clock = std::chrono::steady_clock;
  const int workers = job_.size() - 1;
  for (int k = 0; k < workers; ++k) {
    Hello hello{};
    MPI_Status status;
    MPI_Recv(&hello, sizeof hello, MPI_BYTE, MPI_ANY_SOURCE, kHello, MPI_COMM_WORLD, &status);
    FT_CHECK(
        hello.images == golden.images && hello.correct == golden.correct &&
            hello.non_finite == golden.non_finite && hello.checksum == checksum,
        "rank {}: its golden run ({} of {} images correct, {} not finite, parameter checksum {:016x}) is "
        "not rank 0's ({} of {}, {}, {:016x}): every rank must load the same model and data, on the same "
        "kind of device",
        status.MPI_SOURCE, hello.correct, hello.images, hello.non_finite, hello.checksum, golden.correct,
        golden.images, golden.non_finite, checksum);
  }
  std::vector<OutcomeCounts> outcomes(tasks.size());
  std::vector<bool> arrived(tasks.size(), false);
  size_t handed = 0, next = 0;
  bool stopping = false;
  int active = workers;
  std::vector<WorkItem> chunk;
  auto busy_since = Clock::now();
  while (active > 0) {
    MPI_Status status;
    const auto wait_start = Clock::now();
    messaging_ += std::chrono::duration<double>(wait_start - busy_since).count();
    MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
    busy_since = Clock::now();
    waiting_ += std::chrono::duration<double>(busy_since - wait_start).count();
    const int source = status.MPI_SOURCE;
    if (status.MPI_TAG == kRequest) {
      MPI_Recv(nullptr, 0, MPI_BYTE, source, kRequest, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      chunk.clear();
      for (; !stopping && handed < tasks.size() && static_cast<int64_t>(chunk.size()) < chunk_; ++handed)
        chunk.push_back({handed, tasks[handed].ber, tasks[handed].repetition});
      MPI_Send(chunk.data(), byte_count(chunk.size() * sizeof(WorkItem)), MPI_BYTE, source, kWork,
               MPI_COMM_WORLD);
      if (chunk.empty()) --active;  // told to stop: it sends nothing more
    } else if (status.MPI_TAG == kResult) {
      ResultMessage r{};
      MPI_Recv(&r, sizeof r, MPI_BYTE, source, kResult, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      FT_CHECK(r.task < tasks.size() && r.task < handed && !arrived[r.task],
               "rank {} sent a result for task {}, which it was not given", source, r.task);
      arrived[r.task] = true;
      outcomes[r.task] = OutcomeCounts{r.correct, r.masked, r.sdc, r.due};
      // The campaign takes the outcomes in task order: the log is written as one process writes it.
      const auto write_start = Clock::now();
      for (; !stopping && next < tasks.size() && arrived[next]; ++next)
        stopping = !finished(next, outcomes[next]);
      const auto write_end = Clock::now();
      writing_ += std::chrono::duration<double>(write_end - write_start).count();
      messaging_ += std::chrono::duration<double>(write_start - busy_since).count();
      busy_since = write_end;
    } else {
      FT_THROW("rank {} sent an unexpected message (tag {})", source, status.MPI_TAG);
    }
  }
  messaging_ += std::chrono::duration<double>(Clock::now() - busy_since).count();
  FT_CHECK(stopping || next == tasks.size(), "the MPI job ended with {} of {} repetitions done", next,
           tasks.size());
}

void serve_repetitions(const MpiJob& job, FaultEvaluator& evaluator, const FaultTargets& targets,
                       const CampaignConfig& config) {
  FT_CHECK(job.rank() > 0, "rank 0 coordinates; it serves no repetitions");
  plan_campaign_checkpoints(evaluator, targets, config);  // as rank 0's: the same configuration
  const GoldenRun golden = evaluator.golden();
  const uint64_t checksum = evaluator.parameter_checksum();
  const Hello hello{golden.images, golden.correct, golden.non_finite, checksum};
  MPI_Send(&hello, sizeof hello, MPI_BYTE, 0, kHello, MPI_COMM_WORLD);
  std::vector<WorkItem> chunk;
  for (;;) {
    MPI_Send(nullptr, 0, MPI_BYTE, 0, kRequest, MPI_COMM_WORLD);
    MPI_Status status;
    MPI_Probe(0, kWork, MPI_COMM_WORLD, &status);
    int bytes = 0;
    MPI_Get_count(&status, MPI_BYTE, &bytes);
    chunk.resize(static_cast<size_t>(bytes) / sizeof(WorkItem));
    MPI_Recv(chunk.data(), bytes, MPI_BYTE, 0, kWork, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (chunk.empty()) return;
    for (const WorkItem& item : chunk) {
      const RepetitionTask task{item.ber, item.repetition};
      const FaultKey key = task.key(config.seed);
      const OutcomeCounts o =
          evaluator.run_repetition(key, fault_counts(targets, config.count, task.ber, key));
      if (config.verify_every_repetition) {
        FT_CHECK(evaluator.parameter_checksum() == checksum,
                 "parameters differ from the golden state after BER {} repetition {}: restore failed",
                 task.ber, task.repetition);
      }
      const ResultMessage r{item.task, o.correct, o.masked, o.sdc, o.due};
      MPI_Send(&r, sizeof r, MPI_BYTE, 0, kResult, MPI_COMM_WORLD);
    }
  }
}

}  // namespace ftcnn
