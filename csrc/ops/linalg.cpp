// Matrix products: mm, bmm, mv, dot, and matmul composed from them as PyTorch does (so the
// grad_fn names match: MmBackward0, MvBackward0, DotBackward0, UnsafeViewBackward0...).
#include <cstring>

#include "kernels/cpu/blas.h"
#include "ops/internal.h"

namespace gg {
using namespace ops;
using autograd::make_node;

namespace {

// A matrix as BLAS wants it: data pointer, transposed flag and leading dimension.
struct MatArg {
  Tensor keep;  // holds a contiguous copy alive when one was needed
  const char* data;
  bool trans;
  int64_t ld;
};

MatArg blas_arg(const Tensor& t, int64_t rows, int64_t cols, int64_t rs, int64_t cs, int64_t offset_elems) {
  const char* base = static_cast<const char*>(t->storage->data) + offset_elems * (int64_t)t->element_size();
  if ((cs == 1 || cols == 1) && (rs >= std::max<int64_t>(1, cols) || rows == 1))
    return {nullptr, base, false, rows == 1 ? std::max<int64_t>(1, cols) : rs};
  if ((rs == 1 || rows == 1) && (cs >= std::max<int64_t>(1, rows) || cols == 1))
    return {nullptr, base, true, cols == 1 ? std::max<int64_t>(1, rows) : cs};
  return {nullptr, nullptr, false, 0};
}

void check_mm_dtypes(const Tensor& a, const Tensor& b, const char* op) {
  check_same_device(a, b, op);
  GG_CHECK(a->dtype == b->dtype, "expected m1 and m2 to have the same dtype, but got: ", short_name(a->dtype),
           " != ", short_name(b->dtype), " [", op, "]");
  GG_CHECK(a->dtype != DType::Bool, "\"", op, "\" not implemented for 'Bool'");
}

// out[b] = a[b] @ c[b] for 3-D operands (batch stride 0 allowed).
void batched_gemm(const Tensor& a, const Tensor& c, const Tensor& out) {
  const int64_t B = out->sizes[0], M = out->sizes[1], N = out->sizes[2], K = a->sizes[2];
  if (out->numel() == 0) return;
  dispatch<kNumbers>(out->dtype, "matmul", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* o = out->data<T>();
    if (K == 0) {
      std::memset(o, 0, out->numel() * sizeof(T));
      return;
    }
    Tensor ac = a, cc = c;
    MatArg A = blas_arg(a, M, K, a->strides[1], a->strides[2], a->offset);
    if (!A.data) {
      ac = contiguous(detach(a));
      A = blas_arg(ac, M, K, ac->strides[1], ac->strides[2], ac->offset);
    }
    MatArg C = blas_arg(c, K, N, c->strides[1], c->strides[2], c->offset);
    if (!C.data) {
      cc = contiguous(detach(c));
      C = blas_arg(cc, K, N, cc->strides[1], cc->strides[2], cc->offset);
    }
    const int64_t sa = ac->strides[0], sc = cc->strides[0];
    for (int64_t b = 0; b < B; ++b) {
      cpu::gemm<T>(A.trans, C.trans, M, N, K, T(1), reinterpret_cast<const T*>(A.data) + b * sa, A.ld,
                   reinterpret_cast<const T*>(C.data) + b * sc, C.ld, T(0), o + b * M * N, N);
    }
  });
}

Tensor as3d(const Tensor& t) { return make_view(t, DimVec{1, t->sizes[0], t->sizes[1]}, DimVec{0, t->strides[0], t->strides[1]}, t->offset); }

}  // namespace

// Note [Gradient layout of a transposed operand]
// A matrix product's gradient for an operand that is a transposed (column-major) view is computed
// in that layout, as PyTorch's mm_mat1_backward / mm_mat2_backward do: for nn.Linear's w.t(),
// TBackward0 then hands AccumulateGrad a contiguous (out, in) gradient it keeps as is, instead of
// a transposing copy of the whole weight gradient on every step.
static bool column_major(const Tensor& t) {
  return t->sizes[0] > 1 && t->sizes[1] > 1 && t->strides[0] == 1 && t->strides[1] == t->sizes[0];
}
// d(a @ b)/da for the incoming g: g @ b^T, or (b @ g^T)^T when a is column-major.
static Tensor mm_mat1_grad(const Tensor& g, const Tensor& b, bool col_major) {
  return col_major ? t_(mm(b, t_(g))) : mm(g, t_(b));
}
// d(a @ b)/db: a^T @ g, or (g^T @ a)^T when b is column-major.
static Tensor mm_mat2_grad(const Tensor& g, const Tensor& a, bool col_major) {
  return col_major ? t_(mm(t_(g), a)) : mm(t_(a), g);
}

Tensor mm(const Tensor& a, const Tensor& b) {
  GG_CHECK(a->dim() == 2, "self must be a matrix [mm: got ", a->dim(), "-D tensor of shape ", shape_str(a->sizes), "]");
  GG_CHECK(b->dim() == 2, "mat2 must be a matrix [mm: got ", b->dim(), "-D tensor of shape ", shape_str(b->sizes), "]");
  GG_CHECK(a->sizes[1] == b->sizes[0], "mat1 and mat2 shapes cannot be multiplied (", a->sizes[0], "x", a->sizes[1],
           " and ", b->sizes[0], "x", b->sizes[1], ") [mm: shapes ", shape_str(a->sizes), " and ",
           shape_str(b->sizes), "]");
  check_mm_dtypes(a, b, "mm");
  Tensor out = empty(DimVec{a->sizes[0], b->sizes[1]}, a->dtype, a->device());
  batched_gemm(as3d(a), as3d(b), as3d(out));
  if (auto node = make_node("MmBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        size_t k = 0;
        Tensor ga, gb;
        if (n.needs_input_grad(0)) ga = mm_mat1_grad(g[0], n.get(k++), n.ints[0]);
        if (n.needs_input_grad(1)) gb = mm_mat2_grad(g[0], n.get(k), n.ints[1]);
        return {ga, gb};
      }, {&a, &b})) {
    node->ints[0] = column_major(a);
    node->ints[1] = column_major(b);
    if (node->needs_input_grad(0)) node->save("mat2", b);
    if (node->needs_input_grad(1)) node->save("self", a);
    attach(node, out);
  }
  return out;
}

// beta * self + alpha * (a @ b), self broadcast to the product's shape: one GEMM with the
// bias preloaded into the output (nn.Linear's forward for 2-D inputs).
Tensor addmm(const Tensor& self, const Tensor& a, const Tensor& b, double beta, double alpha) {
  GG_CHECK(a->dim() == 2 && b->dim() == 2, "addmm: mat1 and mat2 must be matrices, got ", a->dim(), "-D and ", b->dim(), "-D");
  GG_CHECK(a->sizes[1] == b->sizes[0], "mat1 and mat2 shapes cannot be multiplied (", a->sizes[0], "x", a->sizes[1],
           " and ", b->sizes[0], "x", b->sizes[1], ") [addmm: shapes ", shape_str(a->sizes), " and ",
           shape_str(b->sizes), "]");
  check_mm_dtypes(a, b, "addmm");
  check_same_device(self, a, "addmm");
  GG_CHECK(self->dtype == a->dtype, "addmm: expected self and mat1 to have the same dtype, but got: ",
           short_name(self->dtype), " != ", short_name(a->dtype));
  const DimVec shape{a->sizes[0], b->sizes[1]};
  GG_CHECK(broadcast_shapes(self->sizes, shape, "addmm") == shape, "addmm: self of shape ", shape_str(self->sizes),
           " cannot be broadcast to the product's shape ", shape_str(shape));
  Tensor out = empty(shape, a->dtype, a->device());
  {
    GradModeGuard no_grad(false);
    if (beta == 0.0) zero_(out);
    else copy_into(out, beta == 1.0 ? self : mul(self, wrapped(beta)));
  }
  const int64_t M = shape[0], N = shape[1], K = a->sizes[1];
  if (out->numel() > 0) {
    dispatch<kNumbers>(out->dtype, "addmm", [&](auto tag) {
      using T = typename decltype(tag)::type;
      Tensor ac = a, bc = b;
      MatArg A = blas_arg(a, M, K, a->strides[0], a->strides[1], a->offset);
      if (!A.data) { ac = contiguous(detach(a)); A = blas_arg(ac, M, K, K, 1, ac->offset); }
      MatArg B = blas_arg(b, K, N, b->strides[0], b->strides[1], b->offset);
      if (!B.data) { bc = contiguous(detach(b)); B = blas_arg(bc, K, N, N, 1, bc->offset); }
      if (K == 0) return;  // the product is zero: out already holds beta * self
      cpu::gemm<T>(A.trans, B.trans, M, N, K, T(alpha), reinterpret_cast<const T*>(A.data), A.ld,
                   reinterpret_cast<const T*>(B.data), B.ld, T(1), out->data<T>(), N);
    });
  }
  if (auto node = make_node("AddmmBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor gs, ga, gb;
        const double beta = n.scalar, alpha = n.scalar2;
        if (n.needs_input_grad(0)) gs = sum_to(beta == 1.0 ? g[0] : mul(g[0], wrapped(beta)), n.shape);
        Tensor ga_base = alpha == 1.0 ? g[0] : mul(g[0], wrapped(alpha));
        if (n.needs_input_grad(1)) ga = mm_mat1_grad(ga_base, n.get(1), n.ints[0]);
        if (n.needs_input_grad(2)) gb = mm_mat2_grad(ga_base, n.get(0), n.ints[1]);
        return {gs, ga, gb};
      }, {&self, &a, &b})) {
    node->shape = self->sizes;
    node->ints[0] = column_major(a);
    node->ints[1] = column_major(b);
    node->scalar = beta;
    node->scalar2 = alpha;
    node->save("mat1", node->needs_input_grad(2) ? a : Tensor());
    node->save("mat2", node->needs_input_grad(1) ? b : Tensor());
    attach(node, out);
  }
  return out;
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  GG_CHECK(a->dim() == 3, "batch1 must be a 3D tensor [bmm: got shape ", shape_str(a->sizes), "]");
  GG_CHECK(b->dim() == 3, "batch2 must be a 3D tensor [bmm: got shape ", shape_str(b->sizes), "]");
  GG_CHECK(a->sizes[0] == b->sizes[0], "batch1 and batch2 must have same number of batches, got ", a->sizes[0],
           " and ", b->sizes[0], " [bmm: shapes ", shape_str(a->sizes), " and ", shape_str(b->sizes), "]");
  GG_CHECK(a->sizes[2] == b->sizes[1], "Expected size for first two dimensions of batch2 tensor to be: [", a->sizes[0],
           ", ", a->sizes[2], "] but got: [", b->sizes[0], ", ", b->sizes[1], "]. [bmm: shapes ", shape_str(a->sizes),
           " and ", shape_str(b->sizes), "]");
  check_mm_dtypes(a, b, "bmm");
  Tensor out = empty(DimVec{a->sizes[0], a->sizes[1], b->sizes[2]}, a->dtype, a->device());
  batched_gemm(a, b, out);
  if (auto node = make_node("BmmBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        size_t k = 0;
        Tensor ga, gb;
        if (n.needs_input_grad(0)) ga = bmm(g[0], transpose(n.get(k++), 1, 2));
        if (n.needs_input_grad(1)) gb = bmm(transpose(n.get(k), 1, 2), g[0]);
        return {ga, gb};
      }, {&a, &b})) {
    if (node->needs_input_grad(0)) node->save("mat2", b);
    if (node->needs_input_grad(1)) node->save("self", a);
    attach(node, out);
  }
  return out;
}

Tensor mv(const Tensor& a, const Tensor& v) {
  GG_CHECK(a->dim() == 2 && v->dim() == 1, "vector + matrix @ vector expected, got ", a->dim(), ", ", v->dim());
  GG_CHECK(a->sizes[1] == v->sizes[0], "size mismatch, got input (", a->sizes[0], "), mat (", a->sizes[0], "x",
           a->sizes[1], "), vec (", v->sizes[0], ") [mv: shapes ", shape_str(a->sizes), " and ",
           shape_str(v->sizes), "]");
  check_mm_dtypes(a, v, "mv");
  Tensor out = empty(DimVec{a->sizes[0]}, a->dtype, a->device());
  Tensor v2 = make_view(v, DimVec{1, v->sizes[0], 1}, DimVec{0, v->strides[0], 1}, v->offset);
  batched_gemm(as3d(a), v2, make_view(out, DimVec{1, a->sizes[0], 1}, DimVec{0, 1, 1}, 0));
  if (auto node = make_node("MvBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        size_t k = 0;
        Tensor ga, gv;
        if (n.needs_input_grad(0)) ga = mm(unsqueeze(g[0], 1), unsqueeze(n.get(k++), 0));
        if (n.needs_input_grad(1)) gv = mv(t_(n.get(k)), g[0]);
        return {ga, gv};
      }, {&a, &v})) {
    if (node->needs_input_grad(0)) node->save("vec", v);
    if (node->needs_input_grad(1)) node->save("self", a);
    attach(node, out);
  }
  return out;
}

Tensor dot(const Tensor& a, const Tensor& b) {
  GG_CHECK(a->dim() == 1 && b->dim() == 1, "1D tensors expected, but got ", a->dim(), "D and ", b->dim(),
           "D tensors [dot: shapes ", shape_str(a->sizes), " and ", shape_str(b->sizes), "]");
  GG_CHECK(a->sizes[0] == b->sizes[0], "inconsistent tensor size, expected tensor [", a->sizes[0], "] and src [",
           b->sizes[0], "] to have the same number of elements, but got ", a->sizes[0], " and ", b->sizes[0],
           " elements respectively [dot: shapes ", shape_str(a->sizes), " and ", shape_str(b->sizes), "]");
  check_mm_dtypes(a, b, "dot");
  Tensor out = empty(DimVec{}, a->dtype, a->device());
  Tensor a3 = make_view(a, DimVec{1, 1, a->sizes[0]}, DimVec{0, 1, a->strides[0]}, a->offset);
  Tensor b3 = make_view(b, DimVec{1, b->sizes[0], 1}, DimVec{0, b->strides[0], 1}, b->offset);
  batched_gemm(a3, b3, make_view(out, DimVec{1, 1, 1}, DimVec{1, 1, 1}, 0));
  if (auto node = make_node("DotBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        size_t k = 0;
        Tensor ga, gb;
        if (n.needs_input_grad(0)) ga = mul(g[0], n.get(k++));
        if (n.needs_input_grad(1)) gb = mul(g[0], n.get(k));
        return {ga, gb};
      }, {&a, &b})) {
    if (node->needs_input_grad(0)) node->save("tensor", b);
    if (node->needs_input_grad(1)) node->save("self", a);
    attach(node, out);
  }
  return out;
}

// nn.functional.linear: x @ w^T + b, with the bias folded into the GEMM for 2-D inputs
// (AddmmBackward0, as PyTorch records it).
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b) {
  try {
    if (b && x->dim() == 2) return addmm(b, x, t_(w));
    Tensor out = matmul(x, t_(w));
    return b ? add(out, b, 1.0) : out;
  } catch (const Error& e) {  // (the parts name themselves: name the op the user called)
    fail(e.kind, e.what(), " [linear: input ", shape_str(x->sizes), ", weight ", shape_str(w->sizes), "]");
  }
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  const int64_t da = a->dim(), db = b->dim();
  GG_CHECK(da > 0 && db > 0, "both arguments to matmul need to be at least 1D, but they are ", da, "D and ", db, "D");
  if (da == 1 && db == 1) return dot(a, b);
  if (da == 2 && db == 1) return mv(a, b);
  if (da == 1 && db == 2) {
    GG_CHECK(a->sizes[0] == b->sizes[0], "size mismatch, got input (", a->sizes[0], "), mat (", b->sizes[0], "x",
             b->sizes[1], ")");
    return squeeze_named(mm(unsqueeze(a, 0), b), 0, "SqueezeBackward4");
  }
  if (da == 2 && db == 2) {
    GG_CHECK(a->sizes[1] == b->sizes[0], "mat1 and mat2 shapes cannot be multiplied (", a->sizes[0], "x", a->sizes[1],
             " and ", b->sizes[0], "x", b->sizes[1], ") [matmul: shapes ", shape_str(a->sizes), " and ",
             shape_str(b->sizes), "]");
    return mm(a, b);
  }
  if (da >= 3 && (db == 1 || db == 2)) {
    // Fold the batch dims of `a` into its rows: one GEMM.
    const int64_t K = a->sizes[da - 1];
    GG_CHECK(K == b->sizes[0], "mat1 and mat2 shapes cannot be multiplied (", a->numel() / std::max<int64_t>(K, 1),
             "x", K, " and ", b->sizes[0], "x", db == 2 ? b->sizes[1] : 1, ") [matmul: shapes ", shape_str(a->sizes),
             " and ", shape_str(b->sizes), "]");
    DimVec out_shape(a->sizes.begin(), a->sizes.end() - 1);
    Tensor b2 = db == 1 ? unsqueeze(b, 1) : b;
    Tensor r = mm(reshape(a, DimVec{-1, K}), b2);
    if (db == 2) out_shape.push_back(b->sizes[1]);
    return view_named(r, out_shape, "UnsafeViewBackward0");
  }
  // Batched, with the batch dims broadcast.
  Tensor a2 = da == 1 ? unsqueeze(a, 0) : a;
  Tensor b2 = db == 1 ? unsqueeze(b, 1) : b;
  const int64_t n = a2->sizes[a2->dim() - 2], k = a2->sizes[a2->dim() - 1];
  const int64_t k2 = b2->sizes[b2->dim() - 2], m = b2->sizes[b2->dim() - 1];
  GG_CHECK(k == k2, "Expected size for first two dimensions of batch2 tensor to be: [", k, ", ", m, "] but got: [", k2,
           ", ", m, "]. [matmul: shapes ", shape_str(a->sizes), " and ", shape_str(b->sizes), "]");
  DimVec batch_a(a2->sizes.begin(), a2->sizes.end() - 2), batch_b(b2->sizes.begin(), b2->sizes.end() - 2);
  DimVec batch = broadcast_shapes(batch_a, batch_b, "matmul");
  const int64_t B = shape_numel(batch);
  DimVec ea = batch, eb = batch;
  ea.push_back(n); ea.push_back(k);
  eb.push_back(k); eb.push_back(m);
  Tensor a3 = reshape(expand(a2, ea), DimVec{B, n, k});
  Tensor b3 = reshape(expand(b2, eb), DimVec{B, k, m});
  DimVec out_shape = batch;
  if (da > 1) out_shape.push_back(n);
  if (db > 1) out_shape.push_back(m);
  return view_named(bmm(a3, b3), out_shape, "UnsafeViewBackward0");
}

}  // namespace gg
