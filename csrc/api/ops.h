// The public C++ ops. VJPs are written with these, so gradients of gradients come free.
#pragma once
#include <functional>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>
#include "core/tensor_impl.h"

namespace gg {

// A Python number on its way into an op.
struct Scalar {
  enum Kind : uint8_t { Bool, Int, Float } kind = Float;
  double f = 0;
  int64_t i = 0;
  static Scalar from_double(double v) { return {Float, v, 0}; }
  static Scalar from_int(int64_t v) { return {Int, double(v), v}; }
  static Scalar from_bool(bool v) { return {Bool, double(v), v}; }
  double to_double() const { return kind == Float ? f : double(i); }
};
// A 0-dim tensor holding `s`; `wrapped` marks it as a Python number for type promotion.
Tensor scalar_tensor(Scalar s, std::optional<DType> dtype = std::nullopt, bool wrapped = false);

// ---- elementwise ----
#define GG_UNARY(name, F, node, saves, to_float) Tensor name(const Tensor& x); Tensor name##_(const Tensor& x);
#include "api/unary_ops.def"
#undef GG_UNARY
Tensor add(const Tensor& a, const Tensor& b, double alpha = 1.0);
Tensor sub(const Tensor& a, const Tensor& b, double alpha = 1.0);
Tensor rsub(const Tensor& a, const Tensor& b);  // b - a, PyTorch's RsubBackward1
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
enum class Compare { Eq, Ne, Lt, Le, Gt, Ge };
Tensor compare(const Tensor& a, const Tensor& b, Compare op);
Tensor relu_grad(const Tensor& grad, const Tensor& result);

// ---- elementwise family: selection, clamping, fused arithmetic, activations, integer
// division, logical ops (ops/elementwise_extra.cpp). Unary math rows live in unary_ops.def.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor clamp(const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max);
Tensor clamp_tensor(const Tensor& x, const Tensor& min, const Tensor& max);  // either may be null
Tensor clamp_min(const Tensor& x, const Tensor& min);  // 0-dim wrapped number -> ClampMinBackward0
Tensor clamp_max(const Tensor& x, const Tensor& max);
Tensor masked_fill(const Tensor& x, const Tensor& mask, const Tensor& value);
Tensor masked_fill_(const Tensor& x, const Tensor& mask, const Tensor& value);
Tensor lerp(const Tensor& start, const Tensor& end, const Tensor& weight);
Tensor addcmul(const Tensor& self, const Tensor& t1, const Tensor& t2, double value = 1.0);
Tensor addcdiv(const Tensor& self, const Tensor& t1, const Tensor& t2, double value = 1.0);
Tensor round_decimals(const Tensor& x, int64_t decimals);  // RoundBackward1
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
Tensor elu(const Tensor& x, double alpha = 1.0);
// In place, recorded under PyTorch's in-place names (LeakyReluBackward1, EluBackward1).
Tensor leaky_relu_(const Tensor& x, double negative_slope = 0.01);
Tensor elu_(const Tensor& x, double alpha = 1.0);
Tensor gelu(const Tensor& x, bool tanh_approximate = false);
Tensor gelu_backward(const Tensor& grad, const Tensor& x, bool tanh_approximate = false);
Tensor silu(const Tensor& x);
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
Tensor hardtanh(const Tensor& x, double min_val = -1.0, double max_val = 1.0);
enum class Rounding { None, Floor, Trunc };
Tensor div_rounding(const Tensor& a, const Tensor& b, Rounding mode);
Tensor floor_divide(const Tensor& a, const Tensor& b);
Tensor remainder(const Tensor& a, const Tensor& b);
enum class Logical { And, Or, Xor };
Tensor logical(const Tensor& a, const Tensor& b, Logical op);
Tensor logical_not(const Tensor& x);
enum class Bitwise { And, Or, Xor };
Tensor bitwise(const Tensor& a, const Tensor& b, Bitwise op);
Tensor bitwise_not(const Tensor& x);
Tensor isnan(const Tensor& x);
Tensor isinf(const Tensor& x);
Tensor isfinite(const Tensor& x);
Tensor nan_to_num(const Tensor& x, std::optional<double> nan, std::optional<double> posinf,
                  std::optional<double> neginf);
// `self` overwritten with f(self), recorded as PyTorch records the in-place op (the node of
// the out-of-place f); `others_require_grad`: f reads other tensors that require grad.
Tensor inplace_apply(const Tensor& self, const char* name, const std::function<Tensor(const Tensor&)>& f,
                     bool others_require_grad = false);
// ---- end of the elementwise family ----

// ---- in place (bump the version; refuse leaves that require grad) ----
enum class Inplace { Add, Sub, Mul, Div, Pow };
Tensor inplace(const Tensor& self, const Tensor& other, Inplace op, double alpha = 1.0);
inline Tensor add_(const Tensor& self, const Tensor& other, double alpha = 1.0) {
  return inplace(self, other, Inplace::Add, alpha);
}
Tensor copy_(const Tensor& dst, const Tensor& src);
Tensor fill_(const Tensor& t, Scalar value);
Tensor zero_(const Tensor& t);

// ---- casts, copies ----
Tensor to_dtype(const Tensor& t, DType dtype, bool copy = false);
Tensor clone(const Tensor& t);
Tensor contiguous(const Tensor& t);
Tensor detach(const Tensor& t);

// ---- views and shapes ----
Tensor view(const Tensor& t, const DimVec& shape);
Tensor reshape(const Tensor& t, const DimVec& shape);
Tensor transpose(const Tensor& t, int64_t d0, int64_t d1);
Tensor t_(const Tensor& t);  // .t()
Tensor permute(const Tensor& t, const DimVec& dims);
Tensor expand(const Tensor& t, const DimVec& shape);
Tensor squeeze(const Tensor& t);
Tensor squeeze_dim(const Tensor& t, int64_t dim);
Tensor unsqueeze(const Tensor& t, int64_t dim);
Tensor flatten(const Tensor& t, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor narrow(const Tensor& t, int64_t dim, int64_t start, int64_t length);
Tensor slice(const Tensor& t, int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end, int64_t step);
Tensor select(const Tensor& t, int64_t dim, int64_t index);
Tensor slice_backward(const Tensor& grad, const DimVec& shape, int64_t dim, int64_t start, int64_t end, int64_t step);
// Sums `t` down to `shape` over broadcast dims (the gradient of broadcasting).
Tensor sum_to(const Tensor& t, const DimVec& shape);

// ---- shape and indexing (ops/index.cpp) ----
Tensor cat(const TensorList& tensors, int64_t dim);
Tensor stack(const TensorList& tensors, int64_t dim);
std::vector<Tensor> split(const Tensor& t, int64_t split_size, int64_t dim);
std::vector<Tensor> split_with_sizes(const Tensor& t, const DimVec& split_sizes, int64_t dim);
std::vector<Tensor> chunk(const Tensor& t, int64_t chunks, int64_t dim);
std::vector<Tensor> unbind(const Tensor& t, int64_t dim);
// Advanced indexing: one entry per indexed dim from dim 0 (null: the whole dim); integer
// tensors broadcast together, boolean masks stand for the indices of their true elements.
Tensor index(const Tensor& self, const TensorList& indices);
Tensor index_put(const Tensor& self, const TensorList& indices, const Tensor& values, bool accumulate);
Tensor index_put_(const Tensor& self, const TensorList& indices, const Tensor& values, bool accumulate);
Tensor nonzero(const Tensor& t);
Tensor masked_select(const Tensor& self, const Tensor& mask);
Tensor index_select(const Tensor& self, int64_t dim, const Tensor& index);
Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, double alpha = 1.0);
Tensor gather(const Tensor& self, int64_t dim, const Tensor& index);
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter_value(const Tensor& self, int64_t dim, const Tensor& index, Scalar value);
Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
Tensor take_along_dim(const Tensor& self, const Tensor& indices, std::optional<int64_t> dim);
Tensor scatter_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter_value_(const Tensor& self, int64_t dim, const Tensor& index, Scalar value);
Tensor scatter_add_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
Tensor index_add_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, double alpha = 1.0);
Tensor repeat(const Tensor& self, const DimVec& repeats);
Tensor tile(const Tensor& self, const DimVec& dims);
Tensor roll(const Tensor& self, const DimVec& shifts, const DimVec& dims);
Tensor flip(const Tensor& self, const DimVec& dims);
Tensor tril(const Tensor& self, int64_t diagonal = 0);
Tensor triu(const Tensor& self, int64_t diagonal = 0);
Tensor diag(const Tensor& self, int64_t diagonal = 0);

// ---- reductions ----
Tensor sum(const Tensor& t, const std::optional<DimVec>& dims, bool keepdim, std::optional<DType> dtype = std::nullopt);
Tensor mean(const Tensor& t, const std::optional<DimVec>& dims, bool keepdim, std::optional<DType> dtype = std::nullopt);
Tensor prod(const Tensor& t, std::optional<int64_t> dim, bool keepdim, std::optional<DType> dtype = std::nullopt);
Tensor amax(const Tensor& t, const DimVec& dims, bool keepdim);
Tensor amin(const Tensor& t, const DimVec& dims, bool keepdim);
Tensor max_all(const Tensor& t);
Tensor min_all(const Tensor& t);
std::pair<Tensor, Tensor> max_dim(const Tensor& t, int64_t dim, bool keepdim);
std::pair<Tensor, Tensor> min_dim(const Tensor& t, int64_t dim, bool keepdim);
Tensor argmax(const Tensor& t, std::optional<int64_t> dim, bool keepdim);
Tensor argmin(const Tensor& t, std::optional<int64_t> dim, bool keepdim);

// ==== reduce_extra family (ops/reduce_extra.cpp) ====
// var/std over `dims` (nullopt or empty: all) with `correction` (1 = unbiased).
Tensor var(const Tensor& t, const std::optional<DimVec>& dims, double correction, bool keepdim);
Tensor std_(const Tensor& t, const std::optional<DimVec>& dims, double correction, bool keepdim);
Tensor logsumexp(const Tensor& t, const DimVec& dims, bool keepdim);
Tensor all(const Tensor& t, const std::optional<DimVec>& dims, bool keepdim);
Tensor any(const Tensor& t, const std::optional<DimVec>& dims, bool keepdim);
// linalg.vector_norm: ord any real (inf / -inf included); dims nullopt or empty: all.
Tensor vector_norm(const Tensor& t, double ord, const std::optional<DimVec>& dims, bool keepdim,
                   std::optional<DType> dtype = std::nullopt);
Tensor cumsum(const Tensor& t, int64_t dim, std::optional<DType> dtype = std::nullopt);
Tensor cumprod(const Tensor& t, int64_t dim, std::optional<DType> dtype = std::nullopt);
// sort: (values, indices); always stable (`stable` only picks the grad_fn name, as in PyTorch).
std::pair<Tensor, Tensor> sort(const Tensor& t, int64_t dim, bool descending, bool stable);
Tensor argsort(const Tensor& t, int64_t dim, bool descending, bool stable);
std::pair<Tensor, Tensor> topk(const Tensor& t, int64_t k, int64_t dim, bool largest, bool sorted);
// unique over the flattened input: (values, inverse or undefined, counts or undefined).
std::tuple<Tensor, Tensor, Tensor> unique(const Tensor& t, bool sorted, bool return_inverse, bool return_counts);

// ---- linear algebra ----
Tensor mm(const Tensor& a, const Tensor& b);
Tensor addmm(const Tensor& self, const Tensor& a, const Tensor& b, double beta = 1.0, double alpha = 1.0);
Tensor bmm(const Tensor& a, const Tensor& b);
Tensor mv(const Tensor& a, const Tensor& v);
Tensor dot(const Tensor& a, const Tensor& b);
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);  // bias may be null

// ---- linalg extras (ops-linalg family: csrc/ops/linalg_extra.cpp) ----
Tensor outer(const Tensor& self, const Tensor& vec2);  // MulBackward0, as PyTorch's composite
Tensor baddbmm(const Tensor& self, const Tensor& batch1, const Tensor& batch2, double beta = 1.0,
               double alpha = 1.0);
// pad[2i], pad[2i+1]: before / after dim (ndim - 1 - i); negative values crop. ConstantPadNdBackward0.
Tensor constant_pad_nd(const Tensor& self, const DimVec& pad, Scalar value);
// ---- end linalg extras ----

// ---- neural-network ops ----
enum class Reduction { None = 0, Mean = 1, Sum = 2 };
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight,
                                        const Tensor& pos_weight, Reduction reduction);
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction);

// ---- optimizer updates (in place, unrecorded, one pass per parameter) ----
struct SgdOptions {
  double lr, momentum, dampening, weight_decay;
  bool nesterov, maximize;
};
// Returns the momentum buffer (made from the gradient on the first step) or null without momentum.
Tensor sgd_update(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer, const SgdOptions& o);
struct AdamOptions {
  double lr, beta1, beta2, eps, weight_decay;
  bool amsgrad, maximize, decoupled_weight_decay;
};
// `step` is the step number after this update (1 on the first call).
void adam_update(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                 const Tensor& max_exp_avg_sq, double step, const AdamOptions& o);
struct RmspropOptions {
  double lr, alpha, eps, weight_decay, momentum;
  bool centered, maximize;
};
void rmsprop_update(const Tensor& param, const Tensor& grad, const Tensor& square_avg, const Tensor& grad_avg,
                    const Tensor& momentum_buffer, const RmspropOptions& o);
struct AdagradOptions {
  double lr, lr_decay, eps, weight_decay;
  bool maximize;
};
void adagrad_update(const Tensor& param, const Tensor& grad, const Tensor& sum, double step, const AdagradOptions& o);

// ---- nn family (ops/nn.cpp): softmax, nll_loss, one_hot, norms, embedding, losses ----
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);
Tensor softmax_backward_data(const Tensor& grad, const Tensor& output, int64_t dim);
Tensor log_softmax_backward_data(const Tensor& grad, const Tensor& output, int64_t dim);
// input (C), (N, C) or (N, C, d1, ...); target int64 of the input's shape without C.
Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction,
                int64_t ignore_index);
Tensor nll_loss_backward(const Tensor& grad, const Tensor& input, const Tensor& target, const Tensor& weight,
                         Reduction reduction, int64_t ignore_index, double total_weight);
Tensor one_hot(const Tensor& t, int64_t num_classes);
// (h_next, c_next) of an LSTM step from its gate projections x @ W_ih^T + b_ih and h @ W_hh^T + b_hh.
std::pair<Tensor, Tensor> lstm_cell(const Tensor& gi, const Tensor& gh, const Tensor& c);
Tensor layer_norm(const Tensor& x, const DimVec& normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps);
// Updates running_mean / running_var in place when training (and they are given).
Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum, double eps);
Tensor group_norm(const Tensor& x, int64_t num_groups, const Tensor& weight, const Tensor& bias, double eps);
Tensor embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx);
Tensor embedding_dense_backward(const Tensor& grad, const Tensor& indices, int64_t num_weights,
                                int64_t padding_idx);
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction, double beta);
Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction, double delta);
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction);

// ---- conv family (ops/conv.cpp): conv1d / conv2d and conv_transpose1d / 2d (ConvolutionBackward0) ----
// input (N, C, L) or (N, C, H, W), weight (O, C/groups, k...) of the same rank ((C, O/groups, k...) when
// transposed), bias (O) or null; stride/padding/dilation/output_padding one entry per spatial dim.
Tensor convolution(const Tensor& input, const Tensor& weight, const Tensor& bias, const DimVec& stride,
                   const DimVec& padding, const DimVec& dilation, int64_t groups, bool transposed,
                   const DimVec& output_padding);
// ---- upsample (ops/upsample.cpp): nn.functional.interpolate's nearest / nearest-exact / (bi)linear ----
// input (N, C, W) or (N, C, H, W); output_size and scales one entry per spatial dim (a scale <= 0: none,
// the size ratio is used). align_corners applies to Linear only.
enum class UpsampleMode { Nearest, NearestExact, Linear };
Tensor upsample(const Tensor& input, const DimVec& output_size, const std::vector<double>& scales, UpsampleMode mode,
                bool align_corners);
// Pooling over the last two dims of a (C, H, W) or (N, C, H, W) input; kernel/stride/padding/dilation 2 each.
// Returns (output, indices): indices are flat h * W + w positions in each input plane.
std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, const DimVec& kernel_size, const DimVec& stride,
                                                  const DimVec& padding, const DimVec& dilation, bool ceil_mode);
// divisor_override 0: none.
Tensor avg_pool2d(const Tensor& input, const DimVec& kernel_size, const DimVec& stride, const DimVec& padding,
                  bool ceil_mode, bool count_include_pad, int64_t divisor_override);
Tensor adaptive_avg_pool2d(const Tensor& input, const DimVec& output_size);
// nn.functional.unfold: (N, C, H, W) -> (N, C*kh*kw, L) (Im2ColBackward0); fold is its adjoint
// (N, C*kh*kw, L) -> (N, C, *output_size) (Col2ImBackward0). kernel, dilation, padding, stride 2 each.
Tensor unfold_im2col(const Tensor& input, const DimVec& kernel_size, const DimVec& dilation, const DimVec& padding,
                     const DimVec& stride);
Tensor fold_col2im(const Tensor& input, const DimVec& output_size, const DimVec& kernel_size, const DimVec& dilation,
                   const DimVec& padding, const DimVec& stride);

}  // namespace gg
