// The process group of data-parallel training. Under `mpirun` (and in a build with MPI)
// it is MPI_COMM_WORLD; otherwise a single process with the same interface, so a program
// never needs MPI to run alone.
//
// Nothing here waits forever: a collective is started, then polled (MPI_Test) until a
// deadline, and a rank that has not arrived by then is named with its host.
#pragma once

#include "vknn/engine/result.h"

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace vknn::dist {

using Clock = std::chrono::steady_clock;

// A started collective: an in-place sum of a float array over all ranks, or a gather.
class Reduction {
 public:
  virtual ~Reduction() = default;
  // Whether it is complete (the array then holds the result). Never blocks.
  virtual Result<bool> test() = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  int rank() const { return rank_; }
  int size() const { return int(hosts_.size()); }
  // Rank among the processes on this host: which of the host's devices to take.
  int local_rank() const { return local_rank_; }
  const std::string& host() const { return hosts_.at(size_t(rank_)); }
  const std::string& host_of(int rank) const { return hosts_.at(size_t(rank)); }
  // "rank 1 (host node7)"
  std::string describe(int rank) const;
  // MPI, or a single process.
  virtual const char* kind() const = 0;

  // Starts summing `data` in place over all ranks; `data` must stay alive and untouched
  // until the reduction completes.
  virtual Result<std::unique_ptr<Reduction>> start_sum(std::span<float> data) = 0;
  // Starts gathering every rank's `mine` (the same length on all) into `all`, rank after
  // rank; both must stay alive until it completes.
  virtual Result<std::unique_ptr<Reduction>> start_gather(std::span<const double> mine, std::span<double> all) = 0;
  // Tells every other rank that this one reached `step` (of some loop all ranks run) and
  // listens for theirs; missing() lists the ranks not heard from yet for the last step
  // announced (a rank at another step is an error naming it).
  virtual Status check_in(uint64_t step) = 0;
  virtual Result<std::vector<int>> missing() = 0;
  // Answers the other ranks' liveness probes (unresponsive()); every polling loop calls it.
  virtual void serve() {}
  // Asks every other rank whether it is alive and waits up to `within` for the answers.
  // Returns the ranks that did not answer: stopped, or busy outside every wait.
  virtual Result<std::vector<int>> unresponsive(std::chrono::milliseconds within) {
    (void)within;
    return std::vector<int>{};
  }
  // Ends every process of the job with `code` (MPI_Abort); a single process exits.
  [[noreturn]] virtual void abort(int code) = 0;

  // A blocking sum with a deadline: polls until done or `timeout`, then fails naming the
  // ranks that did not arrive. `what` names the collective in errors.
  Status sum(std::span<float> data, std::chrono::milliseconds timeout, const std::string& what);
  // A blocking gather with a deadline: every rank's `mine`, rank after rank. Values travel
  // exactly, so sums over them taken in rank order are the same on every rank.
  Result<std::vector<double>> gather(std::span<const double> mine, std::chrono::milliseconds timeout,
                                     const std::string& what);
  // The error for a wait that passed its deadline: names the ranks that have not checked
  // in (lost or stalled), or, when all did, those that no longer answer a probe, or says
  // that all answer and the collective itself did not finish.
  Error timed_out(const std::string& what, std::chrono::milliseconds timeout);

 protected:
  // Polls `r` (after a check_in) until it and the check-in messages complete or `timeout`.
  Status wait(Reduction& r, std::chrono::milliseconds timeout, const std::string& what);

  int rank_ = 0, local_rank_ = 0;
  std::vector<std::string> hosts_{1};
};

// MPI_COMM_WORLD when this process was started by mpirun (Open MPI, MPICH or a PMI/PMIx
// launcher sets the environment that says so) and the build has MPI; a single process
// otherwise. Started by a launcher with several processes but built without MPI: an error,
// since every process would otherwise train alone on the whole data.
// `startup_timeout` bounds the start-up exchange of host names (a rank that never arrives
// is named).
Result<std::unique_ptr<Communicator>> make_communicator(
    int* argc, char*** argv, std::chrono::milliseconds startup_timeout = std::chrono::seconds(120));
std::unique_ptr<Communicator> single_process();
bool built_with_mpi();
// How many processes a launcher says this job has (1 when not launched by one).
int launcher_size();

#ifdef VKNN_HAVE_MPI
Result<std::unique_ptr<Communicator>> make_mpi_communicator(int* argc, char*** argv,
                                                            std::chrono::milliseconds startup_timeout);
#endif

}  // namespace vknn::dist
