/* A pure C11 translation unit that defines a network through vknn.h (conv, batch norm, ReLU,
 * max pool, linear), runs it in a session, trains it a few SGD steps, and checks that a run
 * stopped after a checkpoint and resumed ends with the same weights, byte for byte, as one
 * that was not stopped; and that the run refuses another network. The driver
 * (test_c_network.cpp) lends the device and names the data and two run folders. Returns 0 on
 * success; otherwise writes why into `why`. */
#include "vknn/vknn.h"

#include "c_check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vknn_c_network(const vknn_host_device* host, const char* data, const char* run_whole, const char* run_cut,
                   char* why, size_t why_size);

enum { STEPS = 4 }; /* 2 epochs of 64 images at batch 32 */

/* conv1 (8, 3x3, pad 1) -> bn1 -> relu -> 2x2 max pool -> flatten -> fc (classes); the
 * conv's bias is optional, so that a network that differs in one argument can be made. */
static vknn_status define_network(int conv_bias, int32_t classes, vknn_network* out) {
  vknn_network net = NULL;
  vknn_tensor x;
  vknn_conv2d_params conv = {8, 3, 1, 1, 1, 0};
  vknn_pool_params pool = {2, 2, 0};
  vknn_status st;
  conv.bias = conv_bias;
  *out = NULL;
  if ((st = vknn_network_create(1, 28, 28, &net)) != VKNN_SUCCESS) return st;
  if ((st = vknn_network_input(net, &x)) != VKNN_SUCCESS || (st = vknn_network_conv2d(net, x, "conv1", &conv, &x)) ||
      (st = vknn_network_batchnorm(net, x, "bn1", &x)) || (st = vknn_network_relu(net, x, &x)) ||
      (st = vknn_network_maxpool(net, x, &pool, &x)) || (st = vknn_network_flatten(net, x, &x)) ||
      (st = vknn_network_linear(net, x, "fc", classes, 1, &x)) || (st = vknn_network_output(net, x))) {
    vknn_network_destroy(net);
    return st;
  }
  *out = net;
  return VKNN_SUCCESS;
}

/* Reads a whole file; NULL if it cannot. */
static unsigned char* read_all(const char* path, long* size) {
  FILE* f = fopen(path, "rb");
  unsigned char* bytes = NULL;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (*size = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
      (bytes = malloc((size_t)*size)) != NULL && fread(bytes, 1, (size_t)*size, f) != (size_t)*size) {
    free(bytes);
    bytes = NULL;
  }
  fclose(f);
  return bytes;
}

int vknn_c_network(const vknn_host_device* host, const char* data, const char* run_whole, const char* run_cut,
                   char* why, size_t why_size) {
  int failed = 1, k;
  vknn_context ctx = NULL;
  vknn_network net = NULL, other = NULL;
  vknn_session session = NULL;
  vknn_trainer t = NULL;
  vknn_trainer_spec spec;
  vknn_train_step s;
  vknn_evaluation e, tuned;
  int32_t finished = 0;
  vknn_status st;
  float losses[STEPS], image[2 * 28 * 28], logits[2 * 10];
  int64_t out_dims[2];
  char final_whole[1024], final_cut[1024];
  unsigned char *bytes_whole = NULL, *bytes_cut = NULL;
  long size_whole = 0, size_cut = 0;
  size_t i;

  memset(&s, 0, sizeof s);
  memset(&e, 0, sizeof e);
  snprintf(final_whole, sizeof final_whole, "%s/final.safetensors", run_whole);
  snprintf(final_cut, sizeof final_cut, "%s/final.safetensors", run_cut);
  C_CALL(vknn_context_borrow(host, &ctx));
  C_CALL(define_network(0, 10, &net));

  /* A session of the network: (2,10) finite logits. */
  C_CALL(vknn_session_create_from_network(ctx, net, NULL, 2, 7, &session));
  C_CALL(vknn_session_output_shape(session, out_dims));
  C_CHECK(out_dims[0] == 2 && out_dims[1] == 10, "output shape {%lld, %lld}", (long long)out_dims[0],
            (long long)out_dims[1]);
  for (i = 0; i < 2 * 28 * 28; ++i) image[i] = (float)((i * 13) % 17) / 17.0f;
  C_CALL(vknn_session_run(session, image, 2 * 28 * 28, logits, 2 * 10));
  for (i = 0; i < 2 * 10; ++i) C_CHECK(isfinite(logits[i]), "logit %u is not finite", (unsigned)i);

  /* The whole run: STEPS steps of torch.optim.SGD's rule, an end_epoch after each epoch. */
  vknn_trainer_spec_defaults(&spec);
  spec.data = data, spec.out = run_whole;
  spec.epochs = 2, spec.batch = 32, spec.limit = 64, spec.val_limit = 32, spec.seed = 5;
  spec.lr = 0.05, spec.rule = "pytorch", spec.force = 1;
  C_CALL(vknn_trainer_create_from_network(ctx, net, &spec, &t));
  C_CALL(vknn_trainer_finished(t, &finished));
  C_CHECK(!finished, "a new run says it is finished");
  for (k = 0; k < STEPS; ++k) {
    C_CALL(vknn_trainer_step(t, &s));
    C_CHECK(isfinite(s.loss) && s.step == (uint64_t)(k + 1), "step %d: loss %g, step count %llu", k, s.loss,
              (unsigned long long)s.step);
    C_CHECK(s.epoch_done == (k % 2 == 1), "step %d: epoch_done %d", k, s.epoch_done);
    losses[k] = s.loss;
    if (s.epoch_done) C_CALL(vknn_trainer_end_epoch(t, &e));
  }
  C_CHECK(e.samples == 32, "%lld validation samples", (long long)e.samples);
  C_CALL(vknn_trainer_finished(t, &finished));
  C_CHECK(finished, "the run is not finished after its last epoch");
  C_CALL(vknn_trainer_save_weights(t, final_whole));
  vknn_trainer_destroy(t);
  t = NULL;

  /* Fine-tuning: a run started from the whole run's weights (another seed, so its own random
   * ones would differ) validates exactly as the whole run ended. */
  spec.out = run_cut, spec.init = final_whole, spec.seed = 6;
  C_CALL(vknn_trainer_create_from_network(ctx, net, &spec, &t));
  C_CALL(vknn_trainer_validate(t, &tuned));
  C_CHECK(tuned.loss == e.loss && tuned.top1 == e.top1, "from the saved weights: loss %.9g top-1 %g, the run ended at %.9g %g",
            tuned.loss, tuned.top1, e.loss, e.top1);
  vknn_trainer_destroy(t);
  t = NULL;
  spec.init = NULL, spec.seed = 5;

  /* Stopped after 3 steps and a checkpoint (the network's handle destroyed too), then resumed. */
  spec.out = run_cut;
  C_CALL(vknn_trainer_create_from_network(ctx, net, &spec, &t));
  vknn_network_destroy(net); /* the trainer keeps what it needs */
  net = NULL;
  for (k = 0; k < 3; ++k) {
    C_CALL(vknn_trainer_step(t, &s));
    C_CHECK(s.loss == losses[k], "step %d: loss %.9g, the whole run's %.9g", k, s.loss, losses[k]);
    if (s.epoch_done) C_CALL(vknn_trainer_end_epoch(t, NULL));
  }
  C_CALL(vknn_trainer_save(t));
  vknn_trainer_destroy(t);
  t = NULL;

  /* The run names its network: another one (a conv with a bias), or none, is refused. */
  C_CALL(define_network(1, 10, &other));
  st = vknn_trainer_resume_from_network(ctx, other, run_cut, &t);
  C_CHECK(st == VKNN_ERROR_INVALID_ARGUMENT && t == NULL && strstr(vknn_last_error(), "network-sha256:"),
            "resumed with another network: %s: %s", vknn_status_name(st), vknn_last_error());
  st = vknn_trainer_resume(ctx, run_cut, &t);
  C_CHECK(st == VKNN_ERROR_INVALID_ARGUMENT && t == NULL, "resumed without the network: %s: %s", vknn_status_name(st),
            vknn_last_error());

  C_CALL(define_network(0, 10, &net)); /* the same calls again */
  C_CALL(vknn_trainer_resume_from_network(ctx, net, run_cut, &t));
  C_CALL(vknn_trainer_step(t, &s));
  C_CHECK(s.step == STEPS && s.loss == losses[STEPS - 1] && s.epoch_done,
            "resumed step %llu: loss %.9g, the whole run's %.9g", (unsigned long long)s.step, s.loss,
            losses[STEPS - 1]);
  C_CALL(vknn_trainer_end_epoch(t, NULL));
  C_CALL(vknn_trainer_save_weights(t, final_cut));

  bytes_whole = read_all(final_whole, &size_whole);
  bytes_cut = read_all(final_cut, &size_cut);
  C_CHECK(bytes_whole && bytes_cut, "cannot read %s or %s", final_whole, final_cut);
  C_CHECK(size_whole == size_cut && memcmp(bytes_whole, bytes_cut, (size_t)size_whole) == 0,
            "the resumed run's weights differ from the whole run's (%ld and %ld bytes)", size_cut, size_whole);
  failed = 0;

done:
  free(bytes_whole);
  free(bytes_cut);
  vknn_trainer_destroy(t);
  vknn_session_destroy(session);
  vknn_network_destroy(net);
  vknn_network_destroy(other);
  vknn_context_destroy(ctx);
  return failed;
}
