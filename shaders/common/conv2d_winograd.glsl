// Winograd minimal filtering F(WM x WM, 3 x 3) (Lavin & Gray 2016, "Fast Algorithms for
// Convolutional Neural Networks", section 4): an output tile Y (WM x WM) of a 3x3 convolution
// over an input tile d (WA x WA, WA = WM + 2) is
//   Y = AT [ (G g GT) .* (BT d B) ] A
// and over input channels the products sum in the transformed domain, so the convolution is
// WA*WA independent GEMMs  M[t](K, P) = U[t](K, C) V[t](C, P)  over the P tiles. WINO_M = 2
// (F(2,3), WA = 4, the paper's eq. 7-8) or 4 (F(4,3), WA = 6, points 0, +-1, +-2, +-1/2, the
// paper's section 4.2). The matrices are row-major constants; products with their zeros are
// skipped at compile time (the loops are unrolled, the tests constant).
// Shared by shaders/conv2d_winograd_{weights,input,gemm,output}.comp, mirrored by
// WinogradPush in graph/src/ops/conv2d_winograd.cpp.
#extension GL_EXT_control_flow_attributes : require

#ifndef WINO_M
#define WINO_M 2
#endif
const uint WM = WINO_M;
const uint WA = WM + 2;
const uint WT = WA * WA;  // transformed values per tile

#if WINO_M == 2
const float BT[WA * WA] = float[](1, 0, -1, 0,  0, 1, 1, 0,  0, -1, 1, 0,  0, 1, 0, -1);
const float G[WA * 3] = float[](1, 0, 0,  0.5, 0.5, 0.5,  0.5, -0.5, 0.5,  0, 0, 1);
const float AT[WM * WA] = float[](1, 1, 1, 0,  0, 1, -1, -1);
#elif WINO_M == 4
const float BT[WA * WA] = float[](4, 0, -5, 0, 1, 0,
                                  0, -4, -4, 1, 1, 0,
                                  0, 4, -4, -1, 1, 0,
                                  0, -2, -1, 2, 1, 0,
                                  0, 2, -1, -2, 1, 0,
                                  0, 4, 0, -5, 0, 1);
const float G[WA * 3] = float[](1.0 / 4.0, 0, 0,
                                -1.0 / 6.0, -1.0 / 6.0, -1.0 / 6.0,
                                -1.0 / 6.0, 1.0 / 6.0, -1.0 / 6.0,
                                1.0 / 24.0, 1.0 / 12.0, 1.0 / 6.0,
                                1.0 / 24.0, -1.0 / 12.0, 1.0 / 6.0,
                                0, 0, 1);
const float AT[WM * WA] = float[](1, 1, 1, 1, 1, 0,
                                  0, 1, -1, 2, -2, 0,
                                  0, 1, 1, 4, 4, 0,
                                  0, 1, -1, 8, -8, 1);
#else
#error WINO_M must be 2 or 4
#endif

#define WINO_BIAS 1u      // output: add bias[k]
#define WINO_RELU 2u      // output: max(., 0) after the bias and the residual
#define WINO_RESIDUAL 4u  // output: add residual[n,k,oh,ow] before the ReLU

// Tiles: TH x TW per image (TH = ceil(OH / WM)), P = N*TH*TW, numbered (n, th, tw). The
// workspace's matrices are padded so that the GEMM reads whole vec4 blocks without bounds
// checks: Kp (a multiple of the GEMM's TK) rows of U and M, Pp (a multiple of its TP) tile
// columns of V and M; the padding holds zeros (U, V) or results nobody reads (M).
layout(push_constant) uniform Push {
  uint N, C, H, W;
  uint K, OH, OW;
  uint pad_h, pad_w;
  uint TH, TW, P, Pp, Kp;
  uint flags;
  uint y_channels, y_channel0;  // y is channels [y_channel0, y_channel0 + K) of (N, y_channels, OH, OW)
} p;
