/* Consumer of an installed vknn through the C API: LeNet with random weights, batch 1, and a
 * network defined here (conv, batch norm, ReLU, max pool, linear) trained a few SGD steps on
 * images written here, in the folder argv[1].
 * Exit 0 after "consumer-c: OK", 77 without a Vulkan device (CTest: skipped), 1 on error. */
#define _POSIX_C_SOURCE 200809L /* mkdir */

#include <vknn/vknn.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* An IDX file as the trainer reads it: magic 0x08 0x0{dims}, big-endian sizes, bytes. */
static int write_idx(const char* path, const uint32_t* dims, int rank, const unsigned char* bytes, size_t size) {
  FILE* f = fopen(path, "wb");
  unsigned char head[4 + 4 * 3] = {0, 0, 0x08, 0};
  int i, ok;
  if (!f) return 0;
  head[3] = (unsigned char)rank;
  for (i = 0; i < rank; ++i) {
    head[4 + 4 * i] = (unsigned char)(dims[i] >> 24), head[5 + 4 * i] = (unsigned char)(dims[i] >> 16);
    head[6 + 4 * i] = (unsigned char)(dims[i] >> 8), head[7 + 4 * i] = (unsigned char)dims[i];
  }
  ok = fwrite(head, 1, (size_t)(4 + 4 * rank), f) == (size_t)(4 + 4 * rank) && fwrite(bytes, 1, size, f) == size;
  return fclose(f) == 0 && ok;
}

static int make_dir(const char* path) { return mkdir(path, 0755) == 0 || errno == EEXIST; }

/* 32 images of 10 classes (a pattern per class) as IDX files in <dir>/data. */
static int write_data(const char* dir, char* data, size_t data_size) {
  static unsigned char images[32 * 28 * 28], labels[32];
  const char* splits[2] = {"train", "t10k"};
  uint32_t image_dims[3] = {32, 28, 28}, label_dims[1] = {32}, i, p;
  char path[1100]; /* data, at most 1023 characters, and a file name */
  int k;
  for (i = 0; i < 32; ++i) {
    labels[i] = (unsigned char)(i % 10);
    for (p = 0; p < 28 * 28; ++p) images[i * 784 + p] = (unsigned char)((p % 28 + (p / 28) * labels[i]) % 11 * 23);
  }
  snprintf(data, data_size, "%s/data", dir);
  if (!make_dir(dir) || !make_dir(data)) return 0;
  for (k = 0; k < 2; ++k) {
    snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte", data, splits[k]);
    if (!write_idx(path, image_dims, 3, images, sizeof images)) return 0;
    snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte", data, splits[k]);
    if (!write_idx(path, label_dims, 1, labels, sizeof labels)) return 0;
  }
  return 1;
}

/* Defines conv1 -> bn1 -> relu -> max pool -> flatten -> fc and trains it 4 epochs of one
 * SGD step on the same batch: the loss must fall. */
static int train_network(vknn_context ctx, const char* dir) {
  vknn_network net = NULL;
  vknn_trainer t = NULL;
  vknn_tensor x;
  vknn_conv2d_params conv = {8, 3, 1, 1, 1, 1}; /* out_channels, kernel, stride, pad, groups, bias */
  vknn_pool_params pool = {2, 2, 0};            /* kernel, stride, pad */
  vknn_trainer_spec spec;
  vknn_train_step step;
  char data[1024], out[1024];
  float first = 0, last = 0;
  int steps = 0, rc = 1;
  vknn_status s;

  if (!write_data(dir, data, sizeof data)) {
    fprintf(stderr, "consumer-c: cannot write the training data in %s\n", dir);
    return 1;
  }
  snprintf(out, sizeof out, "%s/run", dir);
  if ((s = vknn_network_create(1, 28, 28, &net)) != VKNN_SUCCESS) return fail("vknn_network_create", s);
  if ((s = vknn_network_input(net, &x)) != VKNN_SUCCESS || (s = vknn_network_conv2d(net, x, "conv1", &conv, &x)) ||
      (s = vknn_network_batchnorm(net, x, "bn1", &x)) || (s = vknn_network_relu(net, x, &x)) ||
      (s = vknn_network_maxpool(net, x, &pool, &x)) || (s = vknn_network_flatten(net, x, &x)) ||
      (s = vknn_network_linear(net, x, "fc", 10, 1, &x)) || (s = vknn_network_output(net, x))) {
    rc = fail("vknn_network_*", s);
    goto done;
  }
  vknn_trainer_spec_defaults(&spec);
  spec.data = data, spec.out = out, spec.force = 1;
  spec.epochs = 4, spec.batch = 32, spec.lr = 0.05;
  if ((s = vknn_trainer_create_from_network(ctx, net, &spec, &t)) != VKNN_SUCCESS) {
    rc = fail("vknn_trainer_create_from_network", s);
    goto done;
  }
  do {
    if ((s = vknn_trainer_step(t, &step)) != VKNN_SUCCESS) {
      rc = fail("vknn_trainer_step", s);
      goto done;
    }
    if (steps++ == 0) first = step.loss;
    last = step.loss;
    if (step.epoch_done && (s = vknn_trainer_end_epoch(t, NULL)) != VKNN_SUCCESS) {
      rc = fail("vknn_trainer_end_epoch", s);
      goto done;
    }
  } while (step.epoch < 3 || !step.epoch_done);
  printf("consumer-c: trained a network in code, loss %.4f -> %.4f in %d steps\n", first, last, steps);
  if (steps != 4 || !(last < first)) {
    fprintf(stderr, "consumer-c: the network's loss did not fall\n");
    goto done;
  }
  rc = 0;
done:
  vknn_trainer_destroy(t);
  vknn_network_destroy(net);
  return rc;
}

int main(int argc, char** argv) {
  vknn_context ctx = NULL;
  vknn_session session = NULL;
  vknn_model_spec spec = {"lenet", 0, 0, 1.0f, 1};
  int64_t in_dims[4], out_dims[2];
  float *input = NULL, *output = NULL;
  size_t in_count, out_count, i;
  vknn_status s;
  int rc = 1;

  if (argc != 2) {
    fprintf(stderr, "usage: consumer_c FOLDER (for the training data and run)\n");
    return 1;
  }
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
  if ((rc = train_network(ctx, argv[1])) != 0) goto done;
  rc = 1;
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
