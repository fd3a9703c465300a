// curves.svg: two panels (loss, error %) against epoch, train and validation.
#include "vknn/train/curves.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace vknn::train {
namespace {

// About `n` round tick values covering [lo, hi].
std::vector<double> ticks(double lo, double hi, int n) {
  if (!(hi > lo)) hi = lo + 1;
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

std::string fmt_tick(double v) {
  std::string s = fmt::format("{:.4g}", std::abs(v) < 1e-12 ? 0.0 : v);
  return s;
}

void panel(std::string& s, double x0, double y0, double w, double h, const std::string& title, const std::string& ylabel,
           const std::vector<double>& epochs, const std::vector<std::pair<std::string, std::vector<double>>>& series,
           bool zero_based) {
  const char* colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};
  double xmin = 0, xmax = std::max(1.0, epochs.empty() ? 1.0 : epochs.back());
  double ymin = 1e300, ymax = -1e300;
  for (const auto& [name, ys] : series)
    for (double y : ys)
      if (std::isfinite(y)) ymin = std::min(ymin, y), ymax = std::max(ymax, y);
  if (ymin > ymax) ymin = 0, ymax = 1;
  if (zero_based) ymin = std::min(ymin, 0.0);
  if (ymax - ymin < 1e-9) ymax = ymin + 1;
  const auto yt = ticks(ymin, ymax, 5);
  ymin = std::min(ymin, yt.front()), ymax = std::max(ymax, yt.back());
  const auto xt = ticks(xmin, xmax, std::min(8, int(xmax)));
  auto px = [&](double x) { return x0 + (x - xmin) / (xmax - xmin) * w; };
  auto py = [&](double y) { return y0 + h - (y - ymin) / (ymax - ymin) * h; };
  s += fmt::format("<text x='{:.1f}' y='{:.1f}' text-anchor='middle' font-size='15' font-weight='bold'>{}</text>\n",
                   x0 + w / 2, y0 - 12, title);
  s += fmt::format("<rect x='{:.1f}' y='{:.1f}' width='{:.1f}' height='{:.1f}' fill='none' stroke='#333'/>\n", x0, y0, w,
                   h);
  for (double v : yt) {
    s += fmt::format("<line x1='{:.1f}' y1='{:.1f}' x2='{:.1f}' y2='{:.1f}' stroke='#ddd'/>\n", x0, py(v), x0 + w, py(v));
    s += fmt::format("<line x1='{:.1f}' y1='{:.1f}' x2='{:.1f}' y2='{:.1f}' stroke='#333'/>\n", x0 - 5, py(v), x0, py(v));
    s += fmt::format("<text x='{:.1f}' y='{:.1f}' text-anchor='end' font-size='11'>{}</text>\n", x0 - 8, py(v) + 4,
                     fmt_tick(v));
  }
  for (double v : xt) {
    s += fmt::format("<line x1='{:.1f}' y1='{:.1f}' x2='{:.1f}' y2='{:.1f}' stroke='#333'/>\n", px(v), y0 + h, px(v),
                     y0 + h + 5);
    s += fmt::format("<text x='{:.1f}' y='{:.1f}' text-anchor='middle' font-size='11'>{}</text>\n", px(v), y0 + h + 18,
                     fmt_tick(v));
  }
  s += fmt::format("<text x='{:.1f}' y='{:.1f}' text-anchor='middle' font-size='12'>epoch</text>\n", x0 + w / 2,
                   y0 + h + 36);
  s += fmt::format(
      "<text x='{:.1f}' y='{:.1f}' text-anchor='middle' font-size='12' transform='rotate(-90 {:.1f} {:.1f})'>{}</text>\n",
      x0 - 48, y0 + h / 2, x0 - 48, y0 + h / 2, ylabel);
  for (size_t k = 0; k < series.size(); ++k) {
    const auto& [name, ys] = series[k];
    std::string pts;
    for (size_t i = 0; i < ys.size() && i < epochs.size(); ++i)
      if (std::isfinite(ys[i])) pts += fmt::format("{:.1f},{:.1f} ", px(epochs[i]), py(ys[i]));
    s += fmt::format("<polyline points='{}' fill='none' stroke='{}' stroke-width='2'/>\n", pts, colors[k % 4]);
    for (size_t i = 0; i < ys.size() && i < epochs.size(); ++i)
      if (std::isfinite(ys[i]))
        s += fmt::format("<circle cx='{:.1f}' cy='{:.1f}' r='3' fill='{}'/>\n", px(epochs[i]), py(ys[i]), colors[k % 4]);
    const double lx = x0 + w - 150, ly = y0 + 14 + 18 * double(k);
    s += fmt::format("<rect x='{:.1f}' y='{:.1f}' width='145' height='18' fill='white' fill-opacity='0.8'/>\n", lx - 4,
                     ly - 12);
    s += fmt::format("<line x1='{:.1f}' y1='{:.1f}' x2='{:.1f}' y2='{:.1f}' stroke='{}' stroke-width='2'/>\n", lx, ly - 4,
                     lx + 20, ly - 4, colors[k % 4]);
    s += fmt::format("<text x='{:.1f}' y='{:.1f}' font-size='12'>{}</text>\n", lx + 26, ly, name);
  }
}

}  // namespace

std::string curves_svg(const std::string& title, const std::vector<EpochRow>& rows) {
  std::vector<double> ep, tl, vl, te, ve, v5;
  for (const auto& r : rows) {
    ep.push_back(r.epoch_fraction);
    tl.push_back(r.train_loss), vl.push_back(r.val_loss);
    te.push_back(100.0 * (1.0 - r.train_top1)), ve.push_back(100.0 * (1.0 - r.val_top1));
    v5.push_back(100.0 * (1.0 - r.val_top5));
  }
  const double W = 1000, H = 420;
  std::string s = fmt::format(
      "<?xml version='1.0' encoding='UTF-8'?>\n<svg xmlns='http://www.w3.org/2000/svg' width='{}' height='{}' "
      "viewBox='0 0 {} {}' font-family='sans-serif'>\n<rect width='100%' height='100%' fill='white'/>\n",
      W, H, W, H);
  s += fmt::format("<text x='{}' y='22' text-anchor='middle' font-size='16'>{}</text>\n", W / 2, title);
  panel(s, 80, 70, 360, 280, "Loss", "cross-entropy loss", ep, {{"train", tl}, {"validation", vl}}, true);
  panel(s, 580, 70, 360, 280, "Error", "error (%)", ep,
        {{"train top-1", te}, {"validation top-1", ve}, {"validation top-5", v5}}, true);
  s += "</svg>\n";
  return s;
}

}  // namespace vknn::train
