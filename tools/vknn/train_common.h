// The training recipe (model table, datasets, loaders, evaluation) lives in the trainer
// library (train/); `vknn eval` and `vknn infer` use it under these names.
#pragma once

#include "cli.h"

#include "vknn/train/recipe.h"

namespace vknn::tools {

using train::build_model;
using train::CheckpointInfo;
using train::read_checkpoint_info;
using train::DataSource;
using train::evaluate;
using train::EvalResult;
using train::make_loader;
using train::model_spec;
using train::ModelSpec;
using train::open_data;
using train::prepare_image;

}  // namespace vknn::tools
