#include "vknn/dist/communicator.h"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <string_view>
#include <thread>

namespace vknn::dist {
namespace {

std::string this_host() {
  char name[HOST_NAME_MAX + 1] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown host";
  return name;
}

class SingleReduction final : public Reduction {
 public:
  Result<bool> test() override { return true; }  // the sum over one rank is the array
};

class SingleProcess final : public Communicator {
 public:
  SingleProcess() { hosts_[0] = this_host(); }
  const char* kind() const override { return "single process"; }
  Result<std::unique_ptr<Reduction>> start_sum(std::span<float>) override {
    return std::unique_ptr<Reduction>(new SingleReduction);
  }
  Result<std::unique_ptr<Reduction>> start_gather(std::span<const double> mine, std::span<double> all) override {
    if (all.size() != mine.size())
      return make_error(Errc::invalid_argument, "gather of {} values into {}", mine.size(), all.size());
    std::copy(mine.begin(), mine.end(), all.begin());
    return std::unique_ptr<Reduction>(new SingleReduction);
  }
  Status check_in(uint64_t) override { return {}; }
  Result<std::vector<int>> missing() override { return std::vector<int>{}; }
  [[noreturn]] void abort(int code) override { std::_Exit(code); }
};

int env_int(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return 0;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  return (*end == '\0' && n > 0 && n < INT_MAX) ? int(n) : 0;
}

}  // namespace

std::string Communicator::describe(int rank) const {
  if (rank < 0 || rank >= size()) return fmt::format("rank {}", rank);
  return fmt::format("rank {} (host {})", rank, host_of(rank));
}

Error Communicator::timed_out(const std::string& what, std::chrono::milliseconds timeout) {
  auto m = missing();
  if (!m.ok()) return Error{Errc::timeout, VK_SUCCESS, fmt::format("{}: {}", what, m.error().message)};
  const double s = double(timeout.count()) / 1000.0;
  if (m->empty()) {
    // Every rank checked in: ask which of them still answers.
    constexpr auto probe = std::chrono::seconds(3);
    auto silent = unresponsive(probe);
    if (!silent.ok()) return Error{Errc::timeout, VK_SUCCESS, fmt::format("{}: {}", what, silent.error().message)};
    if (silent->empty())
      return make_error(Errc::timeout,
                        "{} did not complete within {:g} s although every rank reached it and answers (seen from {})",
                        what, s, describe(rank()));
    std::string names;
    for (int r : *silent) names += (names.empty() ? "" : ", ") + describe(r);
    return make_error(Errc::timeout,
                      "{}: lost {} (it reached this step, then did not complete it within {:g} s nor answer a probe "
                      "within {} s; seen from {})",
                      what, names, s, probe.count(), describe(rank()));
  }
  std::string names;
  for (int r : *m) names += (names.empty() ? "" : ", ") + describe(r);
  return make_error(Errc::timeout, "{}: lost {} (not heard from within {:g} s; seen from {})", what, names, s,
                    describe(rank()));
}

Status Communicator::sum(std::span<float> data, std::chrono::milliseconds timeout, const std::string& what) {
  VKNN_TRY(check_in(UINT64_MAX));  // a step number no training loop reaches: these sums have their own
  VKNN_ASSIGN(auto red, start_sum(data));
  return wait(*red, timeout, what);
}

Result<std::vector<double>> Communicator::gather(std::span<const double> mine, std::chrono::milliseconds timeout,
                                                 const std::string& what) {
  std::vector<double> all(mine.size() * size_t(size()));
  VKNN_TRY(check_in(UINT64_MAX));
  VKNN_ASSIGN(auto red, start_gather(mine, all));
  VKNN_TRY(wait(*red, timeout, what));
  return all;
}

Status Communicator::wait(Reduction& red, std::chrono::milliseconds timeout, const std::string& what) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    serve();
    VKNN_ASSIGN(bool done, red.test());
    if (done) {
      VKNN_ASSIGN(auto m, missing());  // completes the check-in messages
      if (m.empty()) return {};
    }
    if (Clock::now() > deadline) return timed_out(what, timeout);
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

std::unique_ptr<Communicator> single_process() { return std::unique_ptr<Communicator>(new SingleProcess); }

bool built_with_mpi() {
#ifdef VKNN_HAVE_MPI
  return true;
#else
  return false;
#endif
}

int launcher_size() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE", "MPI_LOCALNRANKS"})
    if (int n = env_int(v)) return n;
  return 1;
}

Result<std::unique_ptr<Communicator>> make_communicator(int* argc, char*** argv,
                                                        std::chrono::milliseconds startup_timeout) {
  const bool launched = std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMIX_RANK") || std::getenv("PMI_RANK");
#ifdef VKNN_HAVE_MPI
  if (launched) return make_mpi_communicator(argc, argv, startup_timeout);
#else
  (void)argc;
  (void)argv;
  (void)startup_timeout;
  if (launched && launcher_size() > 1)
    return make_error(Errc::unsupported,
                      "started by an MPI launcher with {} processes, but this vknn was built without MPI "
                      "(install libopenmpi-dev and rebuild)",
                      launcher_size());
#endif
  return single_process();
}

}  // namespace vknn::dist
