// In-place writes into views: the base's history is rewritten so gradients reach both the
// part of the base that was kept and the values written into the view.
#include "alloc/cpu_allocator.h"
#include "api/ops.h"
#include "autograd/node.h"

namespace gg::autograd {

// Note [In-place on views]
// Writing R into view V of base B makes B' = B with V's region replaced by R. CopySlices is
// B's new grad_fn: the gradient of B' flows to the old B with V's region zeroed, and to R
// as that region. V itself becomes an AsStrided view of B' (AsStridedBackward0). Other views
// of B made before the write keep their old history, as they would in PyTorch before it
// regenerates them. Gradients of gradients through CopySlices are not supported yet.
namespace {

struct ViewGeometry {
  DimVec base_sizes, sizes, strides;
  int64_t offset;  // of the view, relative to the base's first element
};

// The view's region of a contiguous tensor shaped like the base.
Tensor region_of(const Tensor& like_base, const ViewGeometry& v) {
  return make_view(like_base, v.sizes, v.strides, like_base->offset + v.offset);
}

void refuse_double_backward(const char* node) {
  GG_CHECK_KIND(!grad_enabled(), NotImplemented, "[", node,
                "] gradients of gradients through an in-place write into a view are not supported yet");
}

struct CopySlices : Node {
  ViewGeometry view;
  // Set by rebase_history_wrapping: the node of the out-of-place op that computed the view's
  // new value, with input 0 the view's old value. CopySlices then runs it on the region's
  // gradient and links to its other inputs directly, as PyTorch's CopySlices does.
  std::shared_ptr<Node> fn;
  std::string name() const override { return "CopySlices"; }
  void release_variables() override {
    if (fn) fn->release_variables();
  }
  TensorList apply(TensorList& grads) override {
    refuse_double_backward("CopySlices");
    Tensor g = contiguous(grads[0]);
    if (fn) {
      Tensor g_base = clone(g);
      Tensor region = region_of(g_base, view);
      TensorList in{clone(region)};
      TensorList r = fn->apply(in);
      if (!r.empty() && r[0]) copy_(region, r[0]);
      else zero_(region);
      TensorList out{needs_input_grad(0) ? g_base : Tensor()};
      for (size_t i = 1; i < r.size(); ++i) out.push_back(r[i]);
      return out;
    }
    Tensor g_base, g_result;
    if (needs_input_grad(0)) {
      g_base = clone(g);
      zero_(region_of(g_base, view));
    }
    if (needs_input_grad(1)) g_result = clone(region_of(g, view));
    return {g_base, g_result};
  }
};

struct AsStridedBackward : Node {
  ViewGeometry view;
  DType dtype = DType::Float32;
  std::string name() const override { return "AsStridedBackward0"; }
  TensorList apply(TensorList& grads) override {
    refuse_double_backward("AsStridedBackward0");
    Tensor g_base = empty(view.base_sizes, grads[0]->dtype, grads[0]->device());
    zero_(g_base);
    copy_(region_of(g_base, view), grads[0]);
    return {g_base};
  }
};

}  // namespace

// Makes CopySlices (edges: the base's old history, then `value_edges`) the base's grad_fn and
// an AsStrided view of it the view's grad_fn. `fn`, if given, is the wrapped op's node.
static void rewire_base(const Tensor& self, const std::vector<Edge>& value_edges, const std::shared_ptr<Node>& fn) {
  const Tensor& base = self->view_base;
  GG_CHECK(!(base->requires_grad() && is_leaf(base)),
           "a view of a leaf Variable that requires grad is being used in an in-place operation.");
  GG_CHECK_KIND(base->is_contiguous(), NotImplemented,
                "[in-place on a view] the view's base is not contiguous; make it contiguous first");
  ViewGeometry geo{base->sizes, self->sizes, self->strides, self->offset - base->offset};
  auto copy = std::make_shared<CopySlices>();
  copy->view = geo;
  copy->fn = fn;
  copy->next_edges.push_back(base->requires_grad() ? gradient_edge(base) : Edge{});
  for (const Edge& e : value_edges) copy->next_edges.push_back(e);
  set_history(base, copy, 0);
  auto as_strided = std::make_shared<AsStridedBackward>();
  as_strided->view = geo;
  as_strided->next_edges.push_back(Edge{copy, 0});
  set_history(self, as_strided, 0);
}

void rebase_history(const Tensor& self, const Tensor& result) {
  const bool result_tracked = result && result->requires_grad();
  if (!self->is_view || !self->view_base) {
    if (result_tracked) {
      auto* m = meta(result);
      set_history(self, m->grad_fn ? m->grad_fn : gradient_edge(result).fn, m->grad_fn ? m->output_nr : 0);
    }
    return;
  }
  if (!self->view_base->requires_grad() && !result_tracked) return;
  rewire_base(self, {result_tracked ? gradient_edge(result) : Edge{}}, nullptr);
}

void rebase_history_wrapping(const Tensor& self, const std::shared_ptr<Node>& fn) {
  GG_ASSERT(self->is_view && self->view_base && fn);
  rewire_base(self, std::vector<Edge>(fn->next_edges.begin() + 1, fn->next_edges.end()), fn);
}

}  // namespace gg::autograd
