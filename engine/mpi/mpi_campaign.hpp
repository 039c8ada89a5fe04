// A campaign over the ranks of an MPI job (docs/distributed.md): `mpirun -n N ftcnn campaign ...`.
//
// Rank 0 runs the Campaign as one process does (lock, golden run, log, resume, summaries) but computes no
// repetition itself: an MpiCoordinator hands the repetitions its log lacks to ranks 1 .. N-1 in small
// chunks, on request (dynamic: a slow rank or GPU takes fewer), and passes their outcomes to the campaign in
// (BER, repetition) order, so rank 0 alone writes the log, exactly as one process writes it. The other ranks
// run serve_repetitions: the golden run on their own device (checked against rank 0's: same images, same
// correct count, same parameter checksum), then every repetition they are given, with its faults from its
// key as in one process. The outcome of a repetition does not depend on the rank that computes it, so the
// log and the summaries equal one process's, byte for byte.
//
// A rank that dies ends the job (the MPI launcher's rule); the log holds every repetition written before,
// and rerunning the command, with any number of ranks, resumes from it.
#pragma once

#include <cstdint>
#include <string>

#include "engine/fault/campaign.hpp"

namespace ftcnn {

// This process's place in an MPI job. MPI starts only when an MPI launcher started the process
// (OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_RANK in the environment); otherwise the job is this process
// alone and MPI is never touched, so the binary runs as it always did.
class MpiJob {
 public:
  MpiJob();
  ~MpiJob();  // MPI_Finalize
  MpiJob(const MpiJob&) = delete;
  MpiJob& operator=(const MpiJob&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // The rank among the ranks on this node (for one GPU per rank): OMPI_COMM_WORLD_LOCAL_RANK, else MPI-3's
  // shared-memory split.
  int local_rank() const { return local_rank_; }
  bool distributed() const { return size_ > 1; }
  // Ends every rank of the job with `code` (a failed rank must not leave the others waiting).
  [[noreturn]] void abort(int code) const;
  // Rank 0's `text` on every rank (a collective call: every rank must make it).
  void broadcast(std::string& text) const;

 private:
  bool started_ = false;
  int rank_ = 0, size_ = 1, local_rank_ = 0;
};

// Rank 0: the repetitions computed by ranks 1 .. size - 1.
class MpiCoordinator final : public RepetitionExecutor {
 public:
  // `chunk`: repetitions handed out per request (>= 1).
  MpiCoordinator(const MpiJob& job, int64_t chunk);
  // Every rank must reproduce `golden` and `checksum` (rank 0's) before it gets work.
  void run(const GoldenRun& golden, uint64_t checksum, const std::vector<RepetitionTask>& tasks,
           const std::function<bool(size_t, const OutcomeCounts&)>& finished) override;

  // Where rank 0's time in run() went, for the scaling model (docs/distributed.md): waiting for a message
  // (idle), receiving and answering messages, and in `finished` (fault sites, writing the log).
  double seconds_waiting() const { return waiting_; }
  double seconds_messaging() const { return messaging_; }
  double seconds_writing() const { return writing_; }

 private:
  const MpiJob& job_;
  int64_t chunk_;
  double waiting_ = 0, messaging_ = 0, writing_ = 0;
};

// Ranks 1 .. size - 1: computes the golden run, reports it, then computes the repetitions rank 0 hands out
// until it says there are no more. Returns normally then; throws on a failure of this rank.
void serve_repetitions(const MpiJob& job, FaultEvaluator& evaluator, const FaultTargets& targets,
                       const CampaignConfig& config);

}  // namespace ftcnn
