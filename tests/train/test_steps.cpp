// steps.csv and curves.svg without a device: rows round-trip, a torn last line is ignored,
// the plot has a point per step, a learning-rate panel and the resume marks.
#include "vknn/train/curves.h"
#include "vknn/train/run.h"

#include <doctest/doctest.h>

#include <string>

using namespace vknn::train;

namespace {

StepRow row(uint64_t step) {
  StepRow r;
  r.step = step, r.epoch = int(step - 1) / 4 + 1, r.batch = int64_t(step - 1) % 4 + 1;
  r.loss = 2.302585093 / double(step), r.top1 = 0.25 * double(step % 5), r.lr = step < 5 ? 0.1 : 0.01;
  r.images_per_s = 1234.5;
  return r;
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("steps.csv rows round-trip, and a torn last line or what follows a bad line is ignored") {
  std::string text = steps_csv_header();
  for (uint64_t s = 1; s <= 7; ++s) text += steps_csv_row(row(s));
  size_t ignored = 9;
  auto rows = parse_steps_csv(text, "steps.csv", ignored);
  REQUIRE(rows.ok());
  CHECK(ignored == 0);
  REQUIRE(rows->size() == 7);
  for (uint64_t s = 1; s <= 7; ++s) {
    const StepRow& r = (*rows)[s - 1];
    CHECK(r.step == s);
    CHECK(r.epoch == row(s).epoch);
    CHECK(r.batch == row(s).batch);
    CHECK(r.loss == doctest::Approx(row(s).loss).epsilon(1e-8));
    CHECK(r.top1 == row(s).top1);
    CHECK(r.lr == row(s).lr);
  }
  // Equal steps, equal rows: the text is a function of the values.
  CHECK(steps_csv_row((*rows)[2]) == steps_csv_row(row(3)));

  auto torn = parse_steps_csv(text + "8,2,4,0.28", "steps.csv", ignored);
  REQUIRE(torn.ok());
  CHECK(torn->size() == 7);
  CHECK(ignored == 1);
  auto bad = parse_steps_csv(text + "8,2,x,1,1,1,1\n" + steps_csv_row(row(9)), "steps.csv", ignored);
  REQUIRE(bad.ok());
  CHECK(bad->size() == 7);
  CHECK(ignored == 2);
  CHECK_FALSE(parse_steps_csv("epoch,step\n1,2\n", "x/steps.csv", ignored).ok());
}

TEST_CASE("curves.svg draws the loss per step, a learning-rate panel and the resume marks") {
  CurvesInput in;
  in.title = "test";
  for (uint64_t s = 1; s <= 12; ++s) in.steps.push_back(row(s));
  EpochRow e;
  e.epoch = 1, e.epoch_fraction = 1, e.step = 4, e.train_loss = 1, e.val_loss = 1.5, e.val_top1 = 0.5;
  in.epochs = {e};
  in.resumed_at = {0, 6};  // 0: resumed before any step, not drawn
  in.steps_per_epoch = 4;
  const std::string svg = curves_svg(in);
  CHECK(svg.find("Learning rate") != std::string::npos);
  CHECK(count(svg, "class='resume'") == 3);  // loss, error and learning-rate panels
  // The first polyline is the loss per step: a point each.
  const size_t at = svg.find("<polyline points='");
  REQUIRE(at != std::string::npos);
  const std::string pts = svg.substr(at + 18, svg.find('\'', at + 18) - at - 18);
  CHECK(count(pts, ",") == 12);

  // A long run is drawn as the means of runs of steps: at most 1500 points.
  in.steps.clear();
  for (uint64_t s = 1; s <= 4000; ++s) in.steps.push_back(row(s));
  const std::string big = curves_svg(in);
  const size_t at2 = big.find("<polyline points='");
  const std::string pts2 = big.substr(at2 + 18, big.find('\'', at2 + 18) - at2 - 18);
  CHECK(count(pts2, ",") <= 1500);
  CHECK(count(pts2, ",") >= 1000);
}
