// Per-model defaults (apply_recipe): the groups of flags are taken whole or not at all.
#include "vknn/train/defaults.h"

#include <doctest/doctest.h>

using namespace vknn::train;

TEST_CASE("per-model defaults fill the flags left out, the optimizer and schedule groups whole") {
  RunConfig c;
  c.model = "lenet";
  auto set = apply_recipe(c, {});
  CHECK(set.size() == 4);
  CHECK(c.optimizer == "adamw");
  CHECK(c.lr == 0.002);
  CHECK(c.weight_decay == 0.01);
  CHECK(c.schedule == "cosine");
  CHECK(c.batch == 64);

  // One optimizer flag given: that group keeps RunConfig's defaults (a rate for SGD is no rate
  // for AdamW); the schedule still comes from the recipe.
  RunConfig d;
  d.model = "lenet", d.lr = 0.05;
  set = apply_recipe(d, {"--lr", "--epochs"});
  CHECK(d.optimizer == "sgd");
  CHECK(d.lr == 0.05);
  CHECK(d.momentum == RunConfig{}.momentum);
  CHECK(d.schedule == "cosine");
  CHECK(d.epochs == RunConfig{}.epochs);
  REQUIRE(set.size() == 2);
  CHECK(set[0] == "--batch 64");

  RunConfig r;
  r.model = "cifar-resnet20";
  apply_recipe(r, {"--schedule"});
  CHECK(r.lr == 0.1);
  CHECK(r.weight_decay == 1e-4);
  CHECK(r.rule == "pytorch");
  CHECK(r.batch == 128);
  CHECK(r.schedule == "step");
  CHECK(r.step_epochs == RunConfig{}.step_epochs);

  RunConfig a;
  a.model = "alexnet";
  apply_recipe(a, {});
  CHECK(a.rule == "paper");
  CHECK(a.schedule == "plateau");

  RunConfig o;
  o.model = "net.onnx";
  CHECK(apply_recipe(o, {}).empty());
  CHECK(o.lr == RunConfig{}.lr);
  CHECK(recipes_text().find("cifar-resnet*") != std::string::npos);
}
