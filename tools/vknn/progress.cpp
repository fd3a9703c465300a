#include "progress.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sys/ioctl.h>
#include <unistd.h>

namespace vknn::tools {
namespace {

constexpr size_t kRateWindow = 20;  // images/s and the ETA come from the last steps

std::string hms(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const auto t = int64_t(s + 0.5);
  if (t >= 3600) return fmt::format("{}h{:02}m{:02}s", t / 3600, t / 60 % 60, t % 60);
  if (t >= 60) return fmt::format("{}m{:02}s", t / 60, t % 60);
  return fmt::format("{}s", t);
}

// "[=====>    ]" of `width` characters in all.
std::string bar(double fraction, int width) {
  const int inner = width - 2;
  const int full = int(std::clamp(fraction, 0.0, 1.0) * inner);
  std::string b = "[" + std::string(size_t(full), '=');
  if (full < inner) b += '>' + std::string(size_t(inner - full - 1), ' ');
  return b + "]";
}

// The line `prefix [bar] suffix` in `cols` columns: the bar takes what is left; without room
// for a bar of 10, no bar, and the text is cut at the edge.
std::string fit(const std::string& prefix, double fraction, const std::string& suffix, int cols) {
  const int room = cols - 1 - int(prefix.size() + suffix.size()) - 2;
  std::string line = room >= 10 ? prefix + " " + bar(fraction, room) + " " + suffix : prefix + " " + suffix;
  if (int(line.size()) > cols - 1) line.resize(size_t(std::max(cols - 1, 0)));
  return line;
}

}  // namespace

TrainProgress::TrainProgress(int every, bool shown)
    : every_(every > 0 ? every : 100), tty_(::isatty(2) != 0), shown_(shown) {}

double TrainProgress::elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

int TrainProgress::width() const {
  winsize ws{};
  if (::ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  if (const char* c = std::getenv("COLUMNS"); c && std::atoi(c) > 0) return std::atoi(c);
  return 80;
}

void TrainProgress::draw(const std::string& line) {
  const int cols = width();
  std::string text = line;
  if (int(text.size()) > cols - 1) text.resize(size_t(std::max(cols - 1, 0)));
  fmt::print(stderr, "\r{:<{}}", text, std::max(cols - 1, 0));
  std::fflush(stderr);
  in_place_ = true;
  line_ = text;
  last_draw_ = Clock::now();
}

void TrainProgress::erase() {
  if (!in_place_) return;
  fmt::print(stderr, "\r{:<{}}\r", "", std::max(width() - 1, 0));
  in_place_ = false;
}

void TrainProgress::end_line() {
  if (in_place_) std::fputc('\n', stderr);
  in_place_ = false;
}

void TrainProgress::message(const std::string& s) {
  const bool redraw = in_place_;
  erase();
  fmt::print(stderr, "{}\n", s);
  if (redraw) draw(line_);
}

void TrainProgress::phase(const std::string& what, int64_t done, int64_t total) {
  if (!shown_) return;
  const auto now = Clock::now();
  if (total == 0) {  // a start-up phase begins
    if (!phase_.empty())
      startup_ += fmt::format("{}{} {:.1f} s", startup_.empty() ? "" : ", ", phase_,
                              std::chrono::duration<double>(now - phase_start_).count());
    phase_ = what, phase_start_ = now;
    if (tty_) draw(fmt::format("start-up: {}...", what));
    return;
  }
  const double f = double(done) / double(total);
  if (tty_) {
    if (done == 0 || done >= total || now - last_draw_ >= std::chrono::milliseconds(100))
      draw(fit(what, f, fmt::format("{:3.0f}% {}/{} images", 100 * f, done, total), width()));
    if (done >= total) erase();
  } else if (done == 0) {
    last_plain_ = now;
  } else if (done < total && now - last_plain_ >= std::chrono::seconds(10)) {
    fmt::print(stderr, "{}: {}/{} images ({:.0f}%)\n", what, done, total, 100 * f);
    last_plain_ = now;
  }
}

void TrainProgress::started() {
  if (!shown_ || phase_.empty()) return;
  startup_ += fmt::format("{}{} {:.1f} s", startup_.empty() ? "" : ", ", phase_,
                          std::chrono::duration<double>(Clock::now() - phase_start_).count());
  phase_.clear();
  erase();
  message(fmt::format("start-up: {:.1f} s ({})", elapsed(), startup_));
}

void TrainProgress::step(const train::Trainer& t, const train::StepResult& r, int64_t max_steps) {
  if (!shown_) return;
  window_.emplace_back(r.samples, r.seconds);
  if (window_.size() > kRateWindow) window_.pop_front();
  int64_t samples = 0;
  double seconds = 0;
  for (const auto& [n, s] : window_) samples += n, seconds += s;
  const double ips = seconds > 0 ? double(samples) / seconds : 0;
  const double per_step = seconds / double(window_.size());

  const auto& st = t.state();
  const int64_t per_epoch = t.batches_per_epoch();
  const bool last = st.batch_in_epoch == per_epoch;
  int64_t remaining = (per_epoch - st.batch_in_epoch) + int64_t(t.config().epochs - st.epoch - 1) * per_epoch;
  if (max_steps > 0) remaining = std::min<int64_t>(remaining, max_steps - int64_t(st.step));
  const double eta = per_step * double(std::max<int64_t>(0, remaining));
  const double n = double(std::max<int64_t>(st.samples, 1));
  const double loss = st.loss_sum / n, top1 = st.top1_sum / n;
  if (tty_) {
    const auto now = Clock::now();
    if (!last && now - last_draw_ < std::chrono::milliseconds(100)) return;
    const double f = double(st.batch_in_epoch) / double(per_epoch);
    draw(fit(fmt::format("epoch {}/{}", st.epoch + 1, t.config().epochs), f,
             fmt::format("{:3.0f}% {}/{} {:.0f} img/s loss {:.4f} lr {:.3g} ETA {}", 100 * f, st.batch_in_epoch,
                         per_epoch, ips, loss, st.lr, hms(eta)),
             width()));
    if (last) end_line();
    return;
  }
  if (st.step % uint64_t(every_) != 0 && !last) return;
  fmt::print(stderr, "epoch {}/{} step {}/{} ({}) {:.1f} img/s loss {:.4f} top1 {:.2f}% lr {:.4g} ETA {}\n",
             st.epoch + 1, t.config().epochs, st.batch_in_epoch, per_epoch, st.step, ips, loss, 100 * top1, st.lr,
             hms(eta));
}

}  // namespace vknn::tools
