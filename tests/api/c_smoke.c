/* Check 4: a pure C11 translation unit that includes vknn.h and runs a session through the C
 * API on a device the host lends (the test driver, test_c_api.cpp, makes the device and
 * calls vknn_c_smoke). Returns 0 on success; otherwise writes why into `why`. */
#include "vknn/vknn.h"

#include "c_check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vknn_c_smoke(const vknn_host_device* host, char* why, size_t why_size);

int vknn_c_smoke(const vknn_host_device* host, char* why, size_t why_size) {
  int failed = 1;
  vknn_context ctx = NULL;
  vknn_session session = NULL;
  float* input = NULL;
  float* output = NULL;
  vknn_status st;
  int64_t in_dims[4], out_dims[2];
  size_t in_count, out_count, i;
  vknn_model_spec spec;

  st = vknn_context_borrow(host, &ctx);
  C_CHECK(st == VKNN_SUCCESS, "vknn_context_borrow: %s: %s", vknn_status_name(st), vknn_last_error());

  memset(&spec, 0, sizeof spec); /* zero: the model's default classes, input size and width 1 */
  spec.name = "lenet";
  spec.seed = 42;
  st = vknn_session_create(ctx, &spec, NULL, 2, &session);
  C_CHECK(st == VKNN_SUCCESS, "vknn_session_create: %s: %s", vknn_status_name(st), vknn_last_error());

  st = vknn_session_input_shape(session, in_dims);
  C_CHECK(st == VKNN_SUCCESS, "vknn_session_input_shape: %s", vknn_last_error());
  st = vknn_session_output_shape(session, out_dims);
  C_CHECK(st == VKNN_SUCCESS, "vknn_session_output_shape: %s", vknn_last_error());
  C_CHECK(in_dims[0] == 2 && in_dims[1] == 1 && in_dims[2] == 28 && in_dims[3] == 28, "input shape");
  C_CHECK(out_dims[0] == 2 && out_dims[1] == 10, "output shape");
  in_count = (size_t)(in_dims[0] * in_dims[1] * in_dims[2] * in_dims[3]);
  out_count = (size_t)(out_dims[0] * out_dims[1]);

  input = malloc(in_count * sizeof *input);
  output = malloc(out_count * sizeof *output);
  C_CHECK(input && output, "out of host memory");
  for (i = 0; i < in_count; ++i) input[i] = (float)((i * 37) % 101) / 101.0f - 0.5f;
  for (i = 0; i < out_count; ++i) output[i] = NAN;
  st = vknn_session_run(session, input, in_count, output, out_count);
  C_CHECK(st == VKNN_SUCCESS, "vknn_session_run: %s: %s", vknn_status_name(st), vknn_last_error());
  for (i = 0; i < out_count; ++i) C_CHECK(isfinite(output[i]), "logit %u is not finite", (unsigned)i);

  /* A refusal: the status and the thread's message. */
  st = vknn_session_run(session, input, in_count - 1, output, out_count);
  C_CHECK(st == VKNN_ERROR_INVALID_ARGUMENT, "a short input gave %s", vknn_status_name(st));
  C_CHECK(strstr(vknn_last_error(), "1567") != NULL, "message without the count: %s", vknn_last_error());
  failed = 0;

done:
  free(input);
  free(output);
  vknn_session_destroy(session);
  vknn_context_destroy(ctx);
  return failed;
}
