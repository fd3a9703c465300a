// The per-model defaults of a fresh run: the hyperparameters that suit each built-in model,
// after its paper where it has one, for the flags a user leaves out.
#pragma once

#include "vknn/train/run.h"

#include <set>
#include <string>
#include <vector>

namespace vknn::train {

// Fills the flags of `c` not in `given` from the recipe of c.model, by groups: the optimizer
// (--optimizer, --lr, --momentum, --weight-decay, --rule, --beta1, --beta2, --eps) only if
// none of its flags is given (a rate tuned for one optimizer is no rate for another), the
// schedule (--schedule, --step-epochs, --warmup-epochs) likewise, and --epochs and --batch
// each on its own. An ONNX file, or a name without a recipe, keeps RunConfig's defaults.
// Returns the flags set, as a command line would give them ("--lr 0.1"), in run_flags()
// order; empty when none.
std::vector<std::string> apply_recipe(RunConfig& c, const std::set<std::string>& given);

// Every recipe in words, a line each, for --help and the README.
std::string recipes_text();

}  // namespace vknn::train
