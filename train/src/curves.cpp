// curves.svg: loss and learning rate against the step, error (%) against the epoch; dashed
// lines where the run was resumed.
#include "vknn/train/curves.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace vknn::train {
namespace {

// About `n` round tick values covering [lo, hi].
std::vector<double> ticks(double lo, double hi, int n) {
  if (!(hi > lo)) hi = lo + 1;
  n = std::max(n, 1);
  const double raw = (hi - lo) / n, mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  std::vector<double> t;
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) t.push_back(v);
  return t;
}

std::string fmt_tick(double v) { return fmt::format("{:.4g}", std::abs(v) < 1e-12 ? 0.0 : v); }

struct Series {
  std::string name;
  std::vector<double> xs, ys;
  const char* color = "#1f77b4";
  double width = 2;
  bool dots = true;
  double opacity = 1;
};

struct Panel {
  double x0 = 0, y0 = 0, w = 0, h = 0;
  std::string title, xlabel, ylabel;
  std::vector<double> marks;  // x of the resume points
};

void draw(std::string& s, const Panel& p, const std::vector<Series>& series) {
  double xmin = 0, xmax = 1, ymin = 1e300, ymax = -1e300;
  for (const auto& sr : series)
    for (size_t i = 0; i < sr.ys.size(); ++i)
      if (std::isfinite(sr.ys[i])) {
        ymin = std::min(ymin, sr.ys[i]), ymax = std::max(ymax, sr.ys[i]);
        xmax = std::max(xmax, sr.xs[i]);
      }
  for (double m : p.marks) xmax = std::max(xmax, m);  // a resume after the last point
  if (ymin > ymax) ymin = 0, ymax = 1;
  ymin = std::min(ymin, 0.0);
  if (ymax - ymin < 1e-12) ymax = ymin + 1;
  const auto yt = ticks(ymin, ymax, 5);
  ymin = std::min(ymin, yt.front()), ymax = std::max(ymax, yt.back());
  const auto xt = ticks(xmin, xmax, xmax < 8 ? int(xmax) : 8);
  auto px = [&](double x) { return p.x0 + (x - xmin) / (xmax - xmin) * p.w; };
  auto py = [&](double y) { return p.y0 + p.h - (y - ymin) / (ymax - ymin) * p.h; };
  s += fmt::format("<text x='{:.1f}' y='{:.1f}' text-anchor='middle' font-size='15' font-weight='bold'>{}</text>\n",
                   p.x0 + p.w / 2, p.y0 - 12, p.title);
  s += fmt::format("<rect x='{:.1f}' y='{:.1f}' width='{:.1f}' height='{:.1f}' fill='none' stroke='#333'/>\n", p.x0,
                   p.y0, p.w, p.h);
  for (double v : yt) {
    s += fmt::format("<line x1='{:.1f}' y1='{:.1f}' x2='{:.1f}' y2='{:.1f}' stroke='#ddd'/>\n", p.x0, py(v),
                     p.x0 + p.w, py(v));
    s += fmt::format("<text x='{:.1f}' y='{:.1f}' text-anchor='end' font-size='11'>{}</text>\n", p.x0 - 8, py(v) + 4,
                     fmt_tick(v));
  }
  for (double v : xt) {
    s += fmt::format("<line x1='{:.1f}' y1='{:.1f}' x2='{:.1f}' y2='{:.1f}' stroke='#333'/>\n", px(v), p.y0 + p.h,
                     px(v), p.y0 + p.h + 5);
    s += fmt::format("<text x='{:.1f}' y='{:.1f}' text-anchor='middle' font-size='11'>{}</text>\n", px(v),
                     p.y0 + p.h + 18, fmt_tick(v));
  }
  s += fmt::format("<text x='{:.1f}' y='{:.1f}' text-anchor='middle' font-size='12'>{}</text>\n", p.x0 + p.w / 2,
                   p.y0 + p.h + 36, p.xlabel);
  s += fmt::format(
      "<text x='{:.1f}' y='{:.1f}' text-anchor='middle' font-size='12' transform='rotate(-90 {:.1f} {:.1f})'>{}</text>\n",
      p.x0 - 52, p.y0 + p.h / 2, p.x0 - 52, p.y0 + p.h / 2, p.ylabel);
  for (double m : p.marks) {
    if (!(m >= xmin && m <= xmax)) continue;
    s += fmt::format(
        "<line class='resume' x1='{:.1f}' y1='{:.1f}' x2='{:.1f}' y2='{:.1f}' stroke='#ff7f0e' stroke-dasharray='5,4'/>\n",
        px(m), p.y0, px(m), p.y0 + p.h);
    s += fmt::format("<text x='{:.1f}' y='{:.1f}' font-size='10' fill='#ff7f0e'>resumed</text>\n", px(m) + 3,
                     p.y0 + p.h - 4);
  }
  for (size_t k = 0; k < series.size(); ++k) {
    const Series& sr = series[k];
    std::string pts;
    for (size_t i = 0; i < sr.ys.size(); ++i)
      if (std::isfinite(sr.ys[i])) pts += fmt::format("{:.1f},{:.1f} ", px(sr.xs[i]), py(sr.ys[i]));
    s += fmt::format("<polyline points='{}' fill='none' stroke='{}' stroke-width='{}' stroke-opacity='{}'/>\n", pts,
                     sr.color, sr.width, sr.opacity);
    if (sr.dots)
      for (size_t i = 0; i < sr.ys.size(); ++i)
        if (std::isfinite(sr.ys[i]))
          s += fmt::format("<circle cx='{:.1f}' cy='{:.1f}' r='3' fill='{}'/>\n", px(sr.xs[i]), py(sr.ys[i]),
                           sr.color);
    const double lx = p.x0 + p.w - 165, ly = p.y0 + 14 + 18 * double(k);
    s += fmt::format("<rect x='{:.1f}' y='{:.1f}' width='160' height='18' fill='white' fill-opacity='0.8'/>\n", lx - 4,
                     ly - 12);
    s += fmt::format("<line x1='{:.1f}' y1='{:.1f}' x2='{:.1f}' y2='{:.1f}' stroke='{}' stroke-width='2'/>\n", lx,
                     ly - 4, lx + 20, ly - 4, sr.color);
    s += fmt::format("<text x='{:.1f}' y='{:.1f}' font-size='12'>{}</text>\n", lx + 26, ly, sr.name);
  }
}

// The per-step series, as the means of at most `max_points` equal runs of steps: an SVG of a
// long run stays small, and each point still stands for every step it covers.
void per_step(const std::vector<StepRow>& steps, size_t max_points, Series& loss, Series& lr) {
  const size_t n = steps.size(), per = std::max<size_t>(1, (n + max_points - 1) / max_points);
  for (size_t i = 0; i < n; i += per) {
    const size_t e = std::min(n, i + per);
    double x = 0, l = 0, r = 0;
    for (size_t j = i; j < e; ++j) x += double(steps[j].step), l += steps[j].loss, r += steps[j].lr;
    const double k = double(e - i);
    loss.xs.push_back(x / k), loss.ys.push_back(l / k);
    lr.xs.push_back(x / k), lr.ys.push_back(r / k);
  }
}

}  // namespace

std::string curves_svg(const CurvesInput& in) {
  Series step_loss{"train, per step", {}, {}, "#aec7e8", 1, false};
  Series lr{"learning rate", {}, {}, "#2ca02c", 2, false};
  per_step(in.steps, 1500, step_loss, lr);
  Series train_loss{"train, epoch mean", {}, {}, "#1f77b4"}, val_loss{"validation", {}, {}, "#d62728"};
  Series train_err{"train top-1", {}, {}, "#1f77b4"}, val_err{"validation top-1", {}, {}, "#d62728"};
  Series val5{"validation top-5", {}, {}, "#2ca02c"};
  for (const auto& r : in.epochs) {
    const double st = double(r.step);
    train_loss.xs.push_back(st), train_loss.ys.push_back(r.train_loss);
    val_loss.xs.push_back(st), val_loss.ys.push_back(r.val_loss);
    for (Series* e : {&train_err, &val_err, &val5}) e->xs.push_back(r.epoch_fraction);
    train_err.ys.push_back(100.0 * (1.0 - r.train_top1));
    val_err.ys.push_back(100.0 * (1.0 - r.val_top1));
    val5.ys.push_back(100.0 * (1.0 - r.val_top5));
  }
  std::vector<double> at_step, at_epoch;
  for (uint64_t s : in.resumed_at) {
    if (s == 0) continue;  // resumed before its first step: nothing to mark
    at_step.push_back(double(s));
    if (in.steps_per_epoch > 0) at_epoch.push_back(double(s) / double(in.steps_per_epoch));
  }
  const double W = 1000, H = 800;
  std::string s = fmt::format(
      "<?xml version='1.0' encoding='UTF-8'?>\n<svg xmlns='http://www.w3.org/2000/svg' width='{}' height='{}' "
      "viewBox='0 0 {} {}' font-family='sans-serif'>\n<rect width='100%' height='100%' fill='white'/>\n",
      W, H, W, H);
  s += fmt::format("<text x='{}' y='22' text-anchor='middle' font-size='16'>{}</text>\n", W / 2, in.title);
  draw(s, {80, 70, 360, 280, "Loss", "step", "cross-entropy loss", at_step}, {step_loss, train_loss, val_loss});
  draw(s, {580, 70, 360, 280, "Error", "epoch", "error (%)", at_epoch}, {train_err, val_err, val5});
  draw(s, {80, 450, 860, 260, "Learning rate", "step", "learning rate", at_step}, {lr});
  s += "</svg>\n";
  return s;
}

}  // namespace vknn::train
