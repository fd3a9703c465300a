// MPI_COMM_WORLD behind the Communicator interface. Errors are returned, not fatal
// (MPI_ERRORS_RETURN), so that a failed collective becomes an error naming the ranks.
#include "vknn/dist/communicator.h"

#include <mpi.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <thread>

namespace vknn::dist {
namespace {

constexpr int kCheckInTag = 0x564b;  // "VK"
constexpr int kProbeTag = 0x564c, kAnswerTag = 0x564d;  // liveness probes and their answers

std::string mpi_error(int code) {
  char text[MPI_MAX_ERROR_STRING] = {};
  int len = 0;
  MPI_Error_string(code, text, &len);
  return std::string(text, size_t(std::max(0, len)));
}

class MpiReduction final : public Reduction {
 public:
  Result<bool> test() override {
    if (done_) return true;
    int flag = 0;
    if (int rc = MPI_Test(&request_, &flag, MPI_STATUS_IGNORE); rc != MPI_SUCCESS)
      return make_error(Errc::io, "MPI_Test of an all-reduce: {}", mpi_error(rc));
    done_ = flag != 0;
    return done_;
  }
  MPI_Request request_ = MPI_REQUEST_NULL;
  bool done_ = false;
};

class MpiWorld final : public Communicator {
 public:
  ~MpiWorld() override {
    if (probe_recv_ != MPI_REQUEST_NULL) {
      MPI_Cancel(&probe_recv_);
      MPI_Request_free(&probe_recv_);
    }
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }
  const char* kind() const override { return "MPI"; }

  Status init(int* argc, char*** argv, std::chrono::milliseconds startup_timeout) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized)
      if (int rc = MPI_Init(argc, argv); rc != MPI_SUCCESS) return make_error(Errc::io, "MPI_Init: {}", mpi_error(rc));
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    rank_ = rank;
    // The host names, gathered without a blocking collective: a rank that never gets here
    // is named once `startup_timeout` has passed, rather than hanging this one.
    hosts_.assign(size_t(size), "host not known yet");
    char name[MPI_MAX_PROCESSOR_NAME] = {};
    int len = 0;
    MPI_Get_processor_name(name, &len);
    std::vector<char> all(size_t(size) * MPI_MAX_PROCESSOR_NAME, 0);
    VKNN_TRY(check_in(UINT64_MAX - 1));
    std::unique_ptr<MpiReduction> gather(new MpiReduction);
    if (int rc = MPI_Iallgather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all.data(), MPI_MAX_PROCESSOR_NAME, MPI_CHAR,
                                MPI_COMM_WORLD, &gather->request_);
        rc != MPI_SUCCESS)
      return make_error(Errc::io, "MPI_Iallgather of host names: {}", mpi_error(rc));
    VKNN_TRY(wait(*gather, startup_timeout, "the start-up exchange of host names"));
    for (int r = 0; r < size; ++r) {
      const char* h = all.data() + size_t(r) * MPI_MAX_PROCESSOR_NAME;
      hosts_[size_t(r)].assign(h, strnlen(h, MPI_MAX_PROCESSOR_NAME));
    }
    // The rank among those on this host (no collective needed: the names say it).
    local_rank_ = 0;
    for (int r = 0; r < rank; ++r) local_rank_ += hosts_[size_t(r)] == hosts_[size_t(rank)];
    return post_probe_receive();
  }

  void serve() override {
    for (;;) {
      int flag = 0;
      MPI_Status st;
      if (probe_recv_ == MPI_REQUEST_NULL || MPI_Test(&probe_recv_, &flag, &st) != MPI_SUCCESS || !flag) break;
      answers_.push_back(probe_in_);
      answer_sends_.emplace_back(MPI_REQUEST_NULL);
      MPI_Isend(&answers_.back(), 1, MPI_UINT64_T, st.MPI_SOURCE, kAnswerTag, MPI_COMM_WORLD, &answer_sends_.back());
      if (!post_probe_receive().ok()) break;
    }
    // Answers leave eagerly (8 bytes); forget those sent.
    while (!answer_sends_.empty()) {
      int flag = 0;
      if (MPI_Test(&answer_sends_.front(), &flag, MPI_STATUS_IGNORE) != MPI_SUCCESS || !flag) break;
      answer_sends_.pop_front();
      answers_.pop_front();
    }
  }

  Result<std::vector<int>> unresponsive(std::chrono::milliseconds within) override {
    const size_t n = size_t(size());
    std::vector<uint64_t> token(1, 1), answer(n, 0);
    std::vector<MPI_Request> recv(n, MPI_REQUEST_NULL), send(n, MPI_REQUEST_NULL);
    for (int r = 0; r < size(); ++r) {
      if (r == rank_) continue;
      if (int rc = MPI_Irecv(&answer[size_t(r)], 1, MPI_UINT64_T, r, kAnswerTag, MPI_COMM_WORLD, &recv[size_t(r)]);
          rc != MPI_SUCCESS)
        return make_error(Errc::io, "MPI_Irecv of a probe's answer from {}: {}", describe(r), mpi_error(rc));
      if (int rc = MPI_Isend(token.data(), 1, MPI_UINT64_T, r, kProbeTag, MPI_COMM_WORLD, &send[size_t(r)]);
          rc != MPI_SUCCESS)
        return make_error(Errc::io, "MPI_Isend of a probe to {}: {}", describe(r), mpi_error(rc));
    }
    const auto deadline = Clock::now() + within;
    std::vector<int> silent;
    for (;;) {
      serve();
      silent.clear();
      for (int r = 0; r < size(); ++r) {
        if (recv[size_t(r)] == MPI_REQUEST_NULL) continue;
        int flag = 0;
        if (MPI_Test(&recv[size_t(r)], &flag, MPI_STATUS_IGNORE) != MPI_SUCCESS || !flag) silent.push_back(r);
      }
      if (silent.empty() || Clock::now() > deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    // The job ends after this answer; the probes still out are left to MPI_Abort.
    for (auto& q : recv)
      if (q != MPI_REQUEST_NULL) MPI_Cancel(&q), MPI_Request_free(&q);
    for (auto& q : send)
      if (q != MPI_REQUEST_NULL) MPI_Request_free(&q);
    return silent;
  }

  Result<std::unique_ptr<Reduction>> start_sum(std::span<float> data) override {
    std::unique_ptr<MpiReduction> r(new MpiReduction);
    if (data.size() > size_t(INT32_MAX))
      return make_error(Errc::invalid_argument, "all-reduce of {} floats: more than MPI's int count", data.size());
    if (int rc = MPI_Iallreduce(MPI_IN_PLACE, data.data(), int(data.size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD,
                                &r->request_);
        rc != MPI_SUCCESS)
      return make_error(Errc::io, "MPI_Iallreduce of {} floats: {}", data.size(), mpi_error(rc));
    return std::unique_ptr<Reduction>(std::move(r));
  }

  Result<std::unique_ptr<Reduction>> start_gather(std::span<const double> mine, std::span<double> all) override {
    if (all.size() != mine.size() * size_t(size()) || mine.size() > size_t(INT32_MAX))
      return make_error(Errc::invalid_argument, "gather of {} values from {} ranks into {}", mine.size(), size(),
                        all.size());
    std::unique_ptr<MpiReduction> r(new MpiReduction);
    if (int rc = MPI_Iallgather(mine.data(), int(mine.size()), MPI_DOUBLE, all.data(), int(mine.size()), MPI_DOUBLE,
                                MPI_COMM_WORLD, &r->request_);
        rc != MPI_SUCCESS)
      return make_error(Errc::io, "MPI_Iallgather of {} values: {}", mine.size(), mpi_error(rc));
    return std::unique_ptr<Reduction>(std::move(r));
  }

  Status check_in(uint64_t step) override {
    // The previous round must be complete (missing() was empty) before its buffers are reused.
    VKNN_ASSIGN(auto m, missing());
    if (!m.empty())
      return make_error(Errc::invalid_argument, "check-in for step {} while {} has not checked in for step {}", step,
                        describe(m[0]), step_);
    // Our 8-byte sends leave eagerly; their buffer is reused below only once they have.
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (!sends_done())
      if (Clock::now() > deadline)
        return make_error(Errc::timeout, "the check-in messages of step {} were not sent within 10 s", step_);
    const size_t n = size_t(size());
    step_ = step;
    out_.assign(1, step);
    in_.assign(n, 0);
    recv_.assign(n, MPI_REQUEST_NULL);
    send_.assign(n, MPI_REQUEST_NULL);
    for (int r = 0; r < size(); ++r) {
      if (r == rank_) continue;
      if (int rc = MPI_Irecv(&in_[size_t(r)], 1, MPI_UINT64_T, r, kCheckInTag, MPI_COMM_WORLD, &recv_[size_t(r)]);
          rc != MPI_SUCCESS)
        return make_error(Errc::io, "MPI_Irecv from {}: {}", describe(r), mpi_error(rc));
      if (int rc = MPI_Isend(out_.data(), 1, MPI_UINT64_T, r, kCheckInTag, MPI_COMM_WORLD, &send_[size_t(r)]);
          rc != MPI_SUCCESS)
        return make_error(Errc::io, "MPI_Isend to {}: {}", describe(r), mpi_error(rc));
    }
    return {};
  }

  Result<std::vector<int>> missing() override {
    std::vector<int> out;
    for (size_t r = 0; r < recv_.size(); ++r) {
      if (recv_[r] == MPI_REQUEST_NULL) continue;  // heard from (MPI_Test resets it), or this rank
      int flag = 0;
      if (int rc = MPI_Test(&recv_[r], &flag, MPI_STATUS_IGNORE); rc != MPI_SUCCESS)
        return make_error(Errc::io, "waiting for {}: {}", describe(int(r)), mpi_error(rc));
      if (!flag) {
        out.push_back(int(r));
      } else if (in_[r] != step_) {
        return make_error(Errc::invalid_argument, "{} is at step {} while {} is at step {}: the ranks diverged",
                          describe(int(r)), in_[r], describe(rank_), step_);
      }
    }
    (void)sends_done();
    return out;
  }

  // Every rank keeps one receive posted for a probe from any other (serve()).
  Status post_probe_receive() {
    if (int rc = MPI_Irecv(&probe_in_, 1, MPI_UINT64_T, MPI_ANY_SOURCE, kProbeTag, MPI_COMM_WORLD, &probe_recv_);
        rc != MPI_SUCCESS)
      return make_error(Errc::io, "MPI_Irecv of liveness probes: {}", mpi_error(rc));
    return {};
  }

  [[noreturn]] void abort(int code) override {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);
  }

 private:
  bool sends_done() {
    bool all = true;
    for (auto& s : send_) {
      if (s == MPI_REQUEST_NULL) continue;
      int flag = 0;
      if (MPI_Test(&s, &flag, MPI_STATUS_IGNORE) != MPI_SUCCESS || !flag) all = false;
    }
    return all;
  }

  uint64_t step_ = 0;
  std::vector<uint64_t> out_, in_;
  std::vector<MPI_Request> recv_, send_;
  uint64_t probe_in_ = 0;
  MPI_Request probe_recv_ = MPI_REQUEST_NULL;
  std::deque<uint64_t> answers_;  // buffers of answers in flight (a deque keeps them in place)
  std::deque<MPI_Request> answer_sends_;
};

}  // namespace

Result<std::unique_ptr<Communicator>> make_mpi_communicator(int* argc, char*** argv,
                                                            std::chrono::milliseconds startup_timeout) {
  std::unique_ptr<MpiWorld> w(new MpiWorld);
  VKNN_TRY(w->init(argc, argv, startup_timeout));
  return std::unique_ptr<Communicator>(std::move(w));
}

}  // namespace vknn::dist
