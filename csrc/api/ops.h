// The public C++ ops. VJPs are written with these, so gradients of gradients come free.
#pragma once
#include <optional>
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
#define GG_UNARY(name, F, node, saves, to_float) Tensor name(const Tensor& x);
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

// ---- linear algebra ----
Tensor mm(const Tensor& a, const Tensor& b);
Tensor addmm(const Tensor& self, const Tensor& a, const Tensor& b, double beta = 1.0, double alpha = 1.0);
Tensor bmm(const Tensor& a, const Tensor& b);
Tensor mv(const Tensor& a, const Tensor& v);
Tensor dot(const Tensor& a, const Tensor& b);
Tensor matmul(const Tensor& a, const Tensor& b);

// ---- neural-network ops ----
enum class Reduction { None = 0, Mean = 1, Sum = 2 };
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight,
                                        const Tensor& pos_weight, Reduction reduction);
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction);

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

}  // namespace gg
