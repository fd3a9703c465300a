// Push block of concat_copy.comp; mirrored by ConcatPush in graph/src/ops/concat.cpp.
#define CONCAT_ACCUMULATE 1u  // dst += src instead of dst = src
layout(push_constant) uniform Push {
  uint rows;        // N (the batch)
  uint cols;        // channels copied * H*W: a contiguous run in both tensors
  uint src_stride;  // elements between rows of src: C_src * H*W
  uint dst_stride;  // elements between rows of dst: C_dst * H*W
  uint src_offset;  // first channel of the run in src, times H*W
  uint dst_offset;  // first channel of the run in dst, times H*W
  uint flags;
} p;
