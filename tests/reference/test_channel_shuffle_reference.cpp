// The channel-shuffle reference: values by hand, shuffling by g then by C/g is the identity,
// and the backward against finite differences.
#include "channel_shuffle.h"

#include <doctest/doctest.h>

using namespace vknn::ref;

TEST_CASE("reference channel_shuffle: 6 channels in 2 groups interleave the groups") {
  // x (1,6,1): channels 0..5 = groups {0,1,2} and {3,4,5} -> 0,3,1,4,2,5.
  const Vec x{0, 1, 2, 3, 4, 5};
  CHECK(channel_shuffle_forward(2, 1, 6, 1, x) == Vec{0, 3, 1, 4, 2, 5});
  CHECK(channel_shuffle_forward(3, 1, 6, 1, x) == Vec{0, 2, 4, 1, 3, 5});
  CHECK(channel_shuffle_forward(1, 1, 6, 1, x) == x);
  CHECK(channel_shuffle_forward(6, 1, 6, 1, x) == x);
  // Planes move whole: (1,4,2) in 2 groups.
  CHECK(channel_shuffle_forward(2, 1, 4, 2, {0, 1, 2, 3, 4, 5, 6, 7}) == Vec{0, 1, 4, 5, 2, 3, 6, 7});
}

TEST_CASE("reference channel_shuffle: g groups then C/g groups is the identity") {
  const Vec x = random_vec(2 * 12 * 5, 3);
  for (int g : {1, 2, 3, 4, 6, 12})
    CHECK(channel_shuffle_forward(12 / g, 2, 12, 5, channel_shuffle_forward(g, 2, 12, 5, x)) == x);
}

VKNN_CHECK_CASE_GRADIENTS(channel_shuffle, channel_shuffle_case_outputs)
