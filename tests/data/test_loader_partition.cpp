// The loader's data-parallel partition: ranks' slices of each global batch put together are
// the batch of one loader over the whole job, augmentation included; evaluation shards
// cover every batch once.
#include "vknn/data/loader.h"

#include <doctest/doctest.h>

#include <set>

using namespace vknn;
using namespace vknn::data;

namespace {

std::shared_ptr<Dataset> numbered(int n) {
  auto ds = std::make_shared<Dataset>();
  ds->n = n, ds->c = 1, ds->h = 4, ds->w = 4, ds->num_classes = 7;
  for (int i = 0; i < n; ++i) {
    ds->labels.push_back(i % 7);
    for (int k = 0; k < 16; ++k) ds->images.push_back(float(i) + float(k) / 100.0f);
  }
  return ds;
}

std::vector<Batch> epoch(BatchLoader& l, uint64_t e) {
  std::vector<Batch> out;
  l.start_epoch(e);
  while (auto b = l.next()) out.push_back(std::move(*b));
  return out;
}

}  // namespace

TEST_CASE("loader: 3 ranks' slices of each global batch equal one loader's batch, augmentation included") {
  auto ds = numbered(50);
  BatchLoader::ArrayAugment aug;
  aug.pad = 1, aug.crop = 4, aug.flip = true;  // random per (seed, epoch, sample)
  LoaderOptions opt;
  opt.batch_size = 12, opt.seed = 99, opt.drop_last = true, opt.threads = 2;
  auto whole = BatchLoader::from_dataset(ds, aug, opt);
  REQUIRE(whole.ok());
  std::vector<std::unique_ptr<BatchLoader>> ranks;
  for (int r = 0; r < 3; ++r) {
    LoaderOptions o = opt;
    o.part.slice_begin = 4 * r, o.part.slice_end = 4 * (r + 1);
    auto l = BatchLoader::from_dataset(ds, aug, o);
    REQUIRE(l.ok());
    CHECK((*l)->batches_per_epoch() == 4);  // global batches: 50 / 12
    ranks.push_back(std::move(*l));
  }
  for (uint64_t e : {0u, 3u}) {
    const auto ref = epoch(**whole, e);
    REQUIRE(ref.size() == 4);
    std::vector<std::vector<Batch>> parts;
    for (auto& l : ranks) parts.push_back(epoch(*l, e));
    for (size_t b = 0; b < ref.size(); ++b) {
      Batch joined;
      for (auto& p : parts) {
        REQUIRE(p.size() == ref.size());
        CHECK(p[b].n == 4);
        CHECK(p[b].index == int64_t(b));
        joined.images.insert(joined.images.end(), p[b].images.begin(), p[b].images.end());
        joined.labels.insert(joined.labels.end(), p[b].labels.begin(), p[b].labels.end());
        joined.sample_indices.insert(joined.sample_indices.end(), p[b].sample_indices.begin(),
                                     p[b].sample_indices.end());
      }
      CHECK(joined.sample_indices == ref[b].sample_indices);
      CHECK(joined.labels == ref[b].labels);
      CHECK(joined.images == ref[b].images);
    }
  }
}

TEST_CASE("loader: evaluation shards cover every batch once, bad partitions are refused") {
  auto ds = numbered(23);
  LoaderOptions opt;
  opt.batch_size = 4, opt.shuffle = false;  // 6 batches, the last of 3
  std::set<int64_t> seen, indices;
  for (int r = 0; r < 4; ++r) {
    LoaderOptions o = opt;
    o.part.shard = r, o.part.shards = 4;
    auto l = BatchLoader::from_dataset(ds, {}, o);
    REQUIRE(l.ok());
    CHECK((*l)->batches_per_epoch() == (r < 2 ? 2 : 1));
    for (auto& b : epoch(**l, 0)) {
      CHECK(b.index % 4 == r);
      CHECK(seen.insert(b.index).second);
      for (int64_t s : b.sample_indices) CHECK(indices.insert(s).second);
    }
  }
  CHECK(seen.size() == 6);
  CHECK(indices.size() == 23);
  LoaderOptions bad = opt;
  bad.part.slice_begin = 0, bad.part.slice_end = 2;  // a slice without drop_last
  CHECK(!BatchLoader::from_dataset(ds, {}, bad).ok());
  bad.drop_last = true, bad.part.slice_end = 5;  // beyond the batch
  CHECK(!BatchLoader::from_dataset(ds, {}, bad).ok());
  bad = opt, bad.part.shard = 2, bad.part.shards = 2;
  CHECK(!BatchLoader::from_dataset(ds, {}, bad).ok());
}
