#include "vknn/train/defaults.h"

#include <fmt/format.h>

#include <algorithm>
#include <initializer_list>

namespace vknn::train {
namespace {

struct Recipe {
  const char* models;  // in words, for the help
  bool (*matches)(const std::string& model);
  const char* source;
  int epochs, batch;
  // The optimizer group.
  const char* optimizer;
  double lr, momentum, weight_decay;
  const char* rule;
  // The schedule group.
  const char* schedule;
  int step_epochs, warmup_epochs;
};

bool starts(const std::string& s, std::initializer_list<const char*> prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(), [&](const char* p) { return s.rfind(p, 0) == 0; });
}

// The rates are for the batch beside them; a different --batch keeps them (no scaling rule).
const Recipe kRecipes[] = {
    // Measured: Fashion-MNIST, 3 epochs (README). Adam(W) at 2e-3 with a cosine decay trains
    // these small nets without tuning, where SGD's rate needs it.
    {"lenet, lenet-wide", [](const std::string& m) { return m == "lenet" || m == "lenet-wide"; },
     "AdamW with a cosine decay", 10, 64, "adamw", 0.002, 0.9, 0.01, "paper", "cosine", 30, 0},
    // He et al. 2015, §4.2: SGD, momentum 0.9, weight decay 1e-4, batch 128, lr 0.1 divided by
    // 10 at 32k and 48k of 64k iterations (~82 and ~123 of ~164 epochs at 391 steps an epoch;
    // the step schedule's x0.1 every 80 epochs places the first drop near there).
    {"cifar-resnet*, cifar-plain*", [](const std::string& m) { return starts(m, {"cifar-resnet", "cifar-plain"}); },
     "He et al. 2015, sec. 4.2", 160, 128, "sgd", 0.1, 0.9, 1e-4, "pytorch", "step", 80, 0},
    // He et al. 2015, §3.4, as torchvision's reference recipe: batch 256, lr 0.1, x0.1 every
    // 30 epochs, 90 epochs, weight decay 1e-4, momentum 0.9.
    {"resnet18, resnet34, resnet50", [](const std::string& m) { return starts(m, {"resnet"}); },
     "He et al. 2015, sec. 3.4 (torchvision's reference)", 90, 256, "sgd", 0.1, 0.9, 1e-4, "pytorch", "step", 30, 0},
    // Krizhevsky et al. 2012, §5: batch 128, momentum 0.9, weight decay 5e-4, lr 0.01 divided
    // by 10 when the validation error stopped improving, about 90 epochs; their update rule.
    {"alexnet", [](const std::string& m) { return m == "alexnet"; }, "Krizhevsky et al. 2012, sec. 5", 90, 128,
     "sgd", 0.01, 0.9, 5e-4, "paper", "plateau", 30, 0},
};

const Recipe* recipe_of(const std::string& model) {
  for (const Recipe& r : kRecipes)
    if (r.matches(model)) return &r;
  return nullptr;
}

bool any_given(const std::set<std::string>& given, std::initializer_list<const char*> flags) {
  return std::any_of(flags.begin(), flags.end(), [&](const char* f) { return given.count(f) > 0; });
}

std::string optimizer_words(const Recipe& r) {
  if (std::string(r.optimizer) == "adamw")
    return fmt::format("--optimizer adamw --lr {} --weight-decay {}", r.lr, r.weight_decay);
  return fmt::format("--optimizer sgd --rule {} --lr {} --momentum {} --weight-decay {}", r.rule, r.lr, r.momentum,
                     r.weight_decay);
}

std::string schedule_words(const Recipe& r) {
  std::string s = fmt::format("--schedule {}", r.schedule);
  if (std::string(r.schedule) == "step") s += fmt::format(" --step-epochs {}", r.step_epochs);
  if (r.warmup_epochs > 0) s += fmt::format(" --warmup-epochs {}", r.warmup_epochs);
  return s;
}

}  // namespace

std::vector<std::string> apply_recipe(RunConfig& c, const std::set<std::string>& given) {
  const Recipe* r = recipe_of(c.model);
  if (!r) return {};
  std::vector<std::string> set;
  if (!given.count("--epochs")) c.epochs = r->epochs, set.push_back(fmt::format("--epochs {}", r->epochs));
  if (!given.count("--batch")) c.batch = r->batch, set.push_back(fmt::format("--batch {}", r->batch));
  if (!any_given(given, {"--optimizer", "--lr", "--momentum", "--weight-decay", "--rule", "--beta1", "--beta2", "--eps"})) {
    const RunConfig d;
    c.optimizer = r->optimizer, c.lr = r->lr, c.momentum = r->momentum, c.weight_decay = r->weight_decay;
    c.rule = r->rule, c.beta1 = d.beta1, c.beta2 = d.beta2, c.eps = d.eps;
    set.push_back(optimizer_words(*r));
  }
  if (!any_given(given, {"--schedule", "--step-epochs", "--warmup-epochs"})) {
    c.schedule = r->schedule, c.step_epochs = r->step_epochs, c.warmup_epochs = r->warmup_epochs;
    set.push_back(schedule_words(*r));
  }
  return set;
}

std::string recipes_text() {
  std::string s;
  for (const Recipe& r : kRecipes)
    s += fmt::format("  {}: --epochs {} --batch {} {} {} ({})\n", r.models, r.epochs, r.batch, optimizer_words(r),
                     schedule_words(r), r.source);
  return s;
}

}  // namespace vknn::train
