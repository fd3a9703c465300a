// The progress display of `vknn train` on stderr. On a terminal: one line redrawn in place, a
// bar fitted to the terminal's width with %, images/s, loss, lr and ETA. Otherwise (a file, a
// pipe, CI): a plain line every `every` steps and at the end of each epoch.
#pragma once

#include "vknn/train/trainer.h"

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>

namespace vknn::tools {

class TrainProgress {
 public:
  // every: steps between plain lines (0: 100); shown: false on the ranks other than 0.
  TrainProgress(int every, bool shown);
  // A slow part outside the steps: a start-up phase (total 0) or validation (done of total
  // samples). Start-up phases are summed up in one line before the first step.
  void phase(const std::string& what, int64_t done, int64_t total);
  // After each step of `t`; max_steps as the run was given it (0: none).
  void step(const train::Trainer& t, const train::StepResult& r, int64_t max_steps);
  // The Trainer is made: the start-up phases in one line.
  void started();
  // Ends a line drawn in place, so that other output starts on a line of its own.
  void end_line();
  // A message line (the Trainer's log) above the line drawn in place, which is drawn again.
  void message(const std::string& s);
  double elapsed() const;
  bool tty() const { return tty_; }

 private:
  using Clock = std::chrono::steady_clock;
  void draw(const std::string& line);
  void erase();  // clears a line drawn in place
  int width() const;

  int every_;
  bool tty_, shown_;
  bool in_place_ = false;  // a line drawn in place is open
  std::string line_;       // the line drawn in place
  Clock::time_point start_ = Clock::now(), last_draw_{}, phase_start_ = Clock::now(), last_plain_ = Clock::now();
  std::string phase_;             // the start-up phase running
  std::string startup_;           // the finished phases, "name 1.2 s, ..."
  std::deque<std::pair<int64_t, double>> window_;  // (samples, seconds) of the last steps
};

}  // namespace vknn::tools
