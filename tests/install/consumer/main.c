/* Consumer of an installed vknn through the C API: LeNet with random weights, batch 1.
 * Exit 0 after "consumer-c: OK", 77 without a Vulkan device (CTest: skipped), 1 on error. */
#include <vknn/vknn.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* vknn reports "no device" as VKNN_ERROR_UNSUPPORTED, which also covers other causes, so ask
 * the loader directly first. */
static int have_vulkan_device(void) {
  VkApplicationInfo app = {VK_STRUCTURE_TYPE_APPLICATION_INFO, NULL, "consumer_c", 0, NULL, 0, VK_API_VERSION_1_2};
  VkInstanceCreateInfo ci = {VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO, NULL, 0, &app, 0, NULL, 0, NULL};
  VkInstance instance = VK_NULL_HANDLE;
  uint32_t n = 0;
  if (vkCreateInstance(&ci, NULL, &instance) != VK_SUCCESS) return 0;
  vkEnumeratePhysicalDevices(instance, &n, NULL);
  vkDestroyInstance(instance, NULL);
  return n > 0;
}

static int fail(const char* call, vknn_status s) {
  fprintf(stderr, "consumer-c: %s failed: %s: %s\n", call, vknn_status_name(s), vknn_last_error());
  return 1;
}

int main(void) {
  vknn_context ctx = NULL;
  vknn_session session = NULL;
  vknn_model_spec spec = {"lenet", 0, 0, 1.0f, 1};
  int64_t in_dims[4], out_dims[2];
  float *input = NULL, *output = NULL;
  size_t in_count, out_count, i;
  vknn_status s;
  int rc = 1;

  if (!have_vulkan_device()) {
    fprintf(stderr, "consumer-c: skipped: no Vulkan device\n");
    return 77;
  }
  if ((s = vknn_context_create(-1, &ctx)) != VKNN_SUCCESS) return fail("vknn_context_create", s);
  if ((s = vknn_session_create(ctx, &spec, NULL, 1, &session)) != VKNN_SUCCESS) {
    rc = fail("vknn_session_create", s);
    goto done;
  }
  if ((s = vknn_session_input_shape(session, in_dims)) != VKNN_SUCCESS ||
      (s = vknn_session_output_shape(session, out_dims)) != VKNN_SUCCESS) {
    rc = fail("vknn_session_*_shape", s);
    goto done;
  }
  in_count = (size_t)(in_dims[0] * in_dims[1] * in_dims[2] * in_dims[3]);
  out_count = (size_t)(out_dims[0] * out_dims[1]);
  input = (float*)malloc(in_count * sizeof(float));
  output = (float*)malloc(out_count * sizeof(float));
  if (!input || !output) goto done;
  for (i = 0; i < in_count; ++i) input[i] = (float)(i % 29) / 29.0f;
  if ((s = vknn_session_run(session, input, in_count, output, out_count)) != VKNN_SUCCESS) {
    rc = fail("vknn_session_run", s);
    goto done;
  }
  for (i = 0; i < out_count; ++i)
    if (!isfinite(output[i])) {
      fprintf(stderr, "consumer-c: logit %zu is not finite\n", i);
      goto done;
    }
  printf("consumer-c: input shape {%lld, %lld, %lld, %lld}\n", (long long)in_dims[0], (long long)in_dims[1],
         (long long)in_dims[2], (long long)in_dims[3]);
  printf("consumer-c: output shape {%lld, %lld}\n", (long long)out_dims[0], (long long)out_dims[1]);
  rc = 0;
done:
  free(input);
  free(output);
  vknn_session_destroy(session);
  vknn_context_destroy(ctx);
  if (rc == 0) printf("consumer-c: OK\n");
  return rc;
}
