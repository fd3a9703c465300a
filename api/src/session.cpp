// vknn::api::Session: one model's executor on a context, its inference recorded once into a
// secondary command list, run synchronously or recorded into a host command buffer.
#include "state.h"

#include "vknn/onnx/resolve.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>

namespace vknn::api {

namespace {

std::string shape_str(const std::vector<int64_t>& s) { return fmt::format("({})", fmt::join(s, ",")); }

size_t count(const std::vector<int64_t>& s) {
  size_t n = 1;
  for (int64_t d : s) n *= size_t(d);
  return n;
}

// A session call holds its context shared (no destroy() meanwhile) and the session itself.
struct Entered {
  std::shared_lock<std::shared_mutex> ctx_lock;
  std::unique_lock<std::mutex> lock;
};

Entered enter(const std::shared_ptr<Session::State>& s, const char* call) {
  if (!s) raise(VKNN_ERROR_INVALID_STATE, fmt::format("Session::{} on an empty Session", call));
  Entered e{std::shared_lock(s->owner->mutex), std::unique_lock(s->mutex)};
  if (!s->owner->ctx)
    raise(VKNN_ERROR_INVALID_STATE, fmt::format("Session::{}: session used after its context was destroyed", call));
  if (!s->executor)
    raise(VKNN_ERROR_INVALID_STATE, fmt::format("Session::{}: session used after it was destroyed", call));
  return e;
}

// Barrier masks of record(); docs/embedding.md states them as the contract.
constexpr VkPipelineStageFlags kEngineStages = VK_PIPELINE_STAGE_TRANSFER_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT;
constexpr VkAccessFlags kEngineAccess =
    VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;

void memory_barrier(VkCommandBuffer cmd, VkPipelineStageFlags src_stages, VkAccessFlags src_access,
                    VkPipelineStageFlags dst_stages, VkAccessFlags dst_access) {
  VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  mb.srcAccessMask = src_access;
  mb.dstAccessMask = dst_access;
  vkCmdPipelineBarrier(cmd, src_stages, dst_stages, 0, 1, &mb, 0, nullptr, 0, nullptr);
}

}  // namespace

void Session::State::release() {
  secondary = CommandList();  // before the executor: its descriptor sets name the executor's buffers
  executor.reset();
}

Session::State::~State() {
  if (!executor && !secondary.handle()) return;
  std::shared_lock lock(owner->mutex);
  release();
}

namespace {

// Every session is made from what onnx::resolve_model returns: a built-in model or an ONNX
// file (its path, or its bytes).
models::Model resolve_for_session(const onnx::ModelRequest& req) {
  onnx::ResolvedModel r = take(onnx::resolve_model(req));
  const Graph& g = r.model.graph;
  const std::string& what = req.options.name;
  // The API's shapes are (N,C,H,W) in and (N,classes) out (vknn.h gives them as dims[4], dims[2]).
  if (r.inputs.size() != 1)
    raise(VKNN_ERROR_UNSUPPORTED, fmt::format("model '{}' has {} runtime inputs; a session takes one", what,
                                              r.inputs.size()));
  if (g.shape(r.model.images).rank() != 4)
    raise(VKNN_ERROR_UNSUPPORTED, fmt::format("model '{}': input '{}' is {}; a session takes an (N,C,H,W) input", what,
                                              r.inputs[0].name, g.shape(r.model.images).str()));
  if (g.shape(r.model.logits).rank() != 2)
    raise(VKNN_ERROR_UNSUPPORTED, fmt::format("model '{}': output '{}' is {}; a session gives an (N,classes) output",
                                              what, g.desc(r.model.logits).name, g.shape(r.model.logits).str()));
  return std::move(r.model);
}

}  // namespace

Session Session::create(Context& ctx, const ModelSpec& spec, const std::string& weights, int batch) {
  onnx::ModelRequest req;
  req.options.name = spec.name;
  req.options.batch = batch;
  req.options.training = false;  // inference only: no labels, no loss, no backward
  if (!onnx::is_onnx_path(spec.name)) {  // an ONNX file fixes these itself
    req.options.classes = spec.classes;
    req.options.input_size = spec.input_size;
    req.options.width = spec.width;
  }
  return create_impl(ctx, Request{req, weights, spec.seed});
}

Session Session::create_from_onnx(Context& ctx, const void* data, size_t size, const std::string& weights,
                                  int batch) {
  if (!data || size == 0) raise(VKNN_ERROR_INVALID_ARGUMENT, "Session::create_from_onnx: no bytes (data NULL or size 0)");
  onnx::ModelRequest req;
  req.options.name = "<ONNX bytes>";
  req.options.batch = batch;
  req.bytes = {static_cast<const std::byte*>(data), size};
  return create_impl(ctx, Request{req, weights, 1});
}

Session Session::create(Context& ctx, const Network& network, const std::string& weights, int batch, uint64_t seed) {
  if (!network.state_) raise(VKNN_ERROR_INVALID_STATE, "Session::create on a moved-from Network");
  Request r{{}, weights, seed};
  r.model.options.name = "network";
  r.model.options.batch = batch;
  r.network = network.state_.get();
  return create_impl(ctx, r);
}

Session Session::create_impl(Context& ctx, const Request& request) {
  const onnx::ModelRequest& req = request.model;
  const std::string& weights = request.weights;
  const auto& cs = ctx.state_;
  if (!cs) raise(VKNN_ERROR_INVALID_STATE, "Session::create on an empty Context");
  std::shared_lock ctx_lock(cs->mutex);
  if (!cs->ctx) raise(VKNN_ERROR_INVALID_STATE, "Session::create: the context was destroyed");
  models::Model model = request.network ? take(request.network->build(req.options.batch)) : resolve_for_session(req);
  // Read and checked before the executor is made (seconds for the large models): a missing,
  // foreign or mismatched file is the likely mistake (the error names the file and the
  // tensor). Checkpoints of `vknn train` also hold optimizer state: extra tensors are allowed.
  Executor::HostWeights host_weights;
  if (!weights.empty()) host_weights = take(Executor::read_weights(model.graph, weights, /*allow_extra=*/true));

  auto st = std::make_shared<State>();
  st->owner = cs;
  st->model = req.options.name;
  try {
    ExecutorOptions eo;
    eo.seed = request.seed;
    st->executor = take(Executor::create(*cs->ctx, model.graph, eo));
    check(st->executor->load_weights(host_weights));
    CommandList::Options lo;
    lo.secondary = true;
    st->secondary = take(CommandList::create(*cs->ctx, lo));
    check(st->secondary.begin());
    check(st->executor->record_inference(st->secondary));
    check(st->secondary.end());
  } catch (...) {
    st->release();  // here, under ctx_lock: ~State would take it again
    throw;
  }
  st->images = model.images;
  st->logits = model.logits;
  st->input_shape = model.graph.shape(model.images).dims;
  st->output_shape = model.graph.shape(model.logits).dims;
  st->input_ref = st->executor->buffer(model.images);
  st->output_ref = st->executor->buffer(model.logits);
  {
    std::lock_guard l(cs->sessions_mutex);
    std::erase_if(cs->sessions, [](const std::weak_ptr<State>& w) { return w.expired(); });
    cs->sessions.push_back(st);
  }
  return Session(std::move(st));
}

std::vector<int64_t> Session::input_shape() const {
  auto e = enter(state_, "input_shape");
  return state_->input_shape;
}

std::vector<int64_t> Session::output_shape() const {
  auto e = enter(state_, "output_shape");
  return state_->output_shape;
}

size_t Session::input_count() const {
  auto e = enter(state_, "input_count");
  return count(state_->input_shape);
}

size_t Session::output_count() const {
  auto e = enter(state_, "output_count");
  return count(state_->output_shape);
}

void Session::run(const float* input, size_t input_count, float* output, size_t output_count) {
  auto e = enter(state_, "run");
  State& s = *state_;
  if (!input || !output) raise(VKNN_ERROR_INVALID_ARGUMENT, "Session::run: input and output must be non-null");
  const size_t in_n = count(s.input_shape), out_n = count(s.output_shape);
  if (input_count != in_n)
    raise(VKNN_ERROR_INVALID_ARGUMENT,
          fmt::format("Session::run: input has {} floats, '{}' takes {} (shape {}, N,C,H,W)", input_count, s.model,
                      in_n, shape_str(s.input_shape)));
  if (output_count != out_n)
    raise(VKNN_ERROR_INVALID_ARGUMENT,
          fmt::format("Session::run: output has room for {} floats, '{}' writes {} (shape {}, N,classes)",
                      output_count, s.model, out_n, shape_str(s.output_shape)));
  check(s.executor->set_input(s.images, std::span<const float>(input, in_n)));
  check(s.executor->infer());
  check(s.owner->ctx->download(s.output_ref, output, out_n * sizeof(float)));
}

void Session::record(VkCommandBuffer cmd, const BufferSpan& input, const BufferSpan& output) {
  auto e = enter(state_, "record");
  State& s = *state_;
  if (!cmd) raise(VKNN_ERROR_INVALID_ARGUMENT, "Session::record: the command buffer is VK_NULL_HANDLE");
  const VkDeviceSize in_bytes = count(s.input_shape) * sizeof(float);
  const VkDeviceSize out_bytes = count(s.output_shape) * sizeof(float);
  // True when `span` is the engine's own tensor (no copy); refuses a null handle, a range
  // too small, and any other range of the engine's buffer (it holds the weights).
  auto is_own = [&](const BufferSpan& span, const BufferRef& own, VkDeviceSize bytes, const char* what,
                    const std::vector<int64_t>& shape) {
    if (!span.buffer)
      raise(VKNN_ERROR_INVALID_ARGUMENT,
            fmt::format("Session::record: the {0} buffer is VK_NULL_HANDLE (pass {0}_buffer() to use the engine's own)",
                        what));
    if (span.size != 0 && span.size < bytes)
      raise(VKNN_ERROR_INVALID_ARGUMENT,
            fmt::format("Session::record: the {} range has {} bytes, '{}' needs {} (shape {}, fp32)", what, span.size,
                        s.model, bytes, shape_str(shape)));
    if (span.buffer != own.buffer) return false;
    if (span.offset != own.offset)
      raise(VKNN_ERROR_INVALID_ARGUMENT,
            fmt::format("Session::record: the {} range lies in the engine's own buffer at offset {}, but not at its "
                        "{} tensor (offset {})",
                        what, span.offset, what, own.offset));
    return true;
  };
  const bool own_in = is_own(input, s.input_ref, in_bytes, "input", s.input_shape);
  const bool own_out = is_own(output, s.output_ref, out_bytes, "output", s.output_shape);
  if (input.buffer == output.buffer && input.offset < output.offset + out_bytes &&
      output.offset < input.offset + in_bytes)
    raise(VKNN_ERROR_INVALID_ARGUMENT,
          fmt::format("Session::record: the input range ({}+{}) and the output range ({}+{}) of one buffer overlap",
                      input.offset, in_bytes, output.offset, out_bytes));

  // 1. Everything earlier in submission order (the host's writes to `input`, and the last
  //    replay's reads and writes of the engine's buffers) before this inference.
  memory_barrier(cmd, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, VK_ACCESS_MEMORY_WRITE_BIT, kEngineStages, kEngineAccess);
  if (!own_in) {
    VkBufferCopy region{input.offset, s.input_ref.offset, in_bytes};
    vkCmdCopyBuffer(cmd, input.buffer, s.input_ref.buffer, 1, &region);
    memory_barrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
                   VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_READ_BIT);
  }
  const VkCommandBuffer secondary = s.secondary.handle();
  vkCmdExecuteCommands(cmd, 1, &secondary);
  if (!own_out) {
    memory_barrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
                   VK_ACCESS_TRANSFER_READ_BIT);
    VkBufferCopy region{s.output_ref.offset, output.offset, out_bytes};
    vkCmdCopyBuffer(cmd, s.output_ref.buffer, output.buffer, 1, &region);
  }
  // 7. The logits (in `output`) available and visible to every later command and the host;
  //    the execution dependency also orders later writes after this inference's reads.
  memory_barrier(cmd, kEngineStages, VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
                 VK_PIPELINE_STAGE_ALL_COMMANDS_BIT | VK_PIPELINE_STAGE_HOST_BIT,
                 VK_ACCESS_MEMORY_READ_BIT | VK_ACCESS_MEMORY_WRITE_BIT | VK_ACCESS_HOST_READ_BIT);
}

BufferSpan Session::input_buffer() const {
  auto e = enter(state_, "input_buffer");
  return {state_->input_ref.buffer, state_->input_ref.offset, count(state_->input_shape) * sizeof(float)};
}

BufferSpan Session::output_buffer() const {
  auto e = enter(state_, "output_buffer");
  return {state_->output_ref.buffer, state_->output_ref.offset, count(state_->output_shape) * sizeof(float)};
}

void Session::destroy() {
  if (!state_) return;
  std::shared_lock ctx_lock(state_->owner->mutex);
  std::lock_guard lock(state_->mutex);
  state_->release();
}

Session::Session() = default;
Session::Session(std::shared_ptr<State> s) : state_(std::move(s)) {}
Session::~Session() = default;
Session::Session(const Session&) = default;
Session& Session::operator=(const Session&) = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

}  // namespace vknn::api
