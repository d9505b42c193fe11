#include "autograd/node.h"

#include "alloc/cpu_allocator.h"
#include "api/ops.h"
#include "autograd/op_node.h"

namespace gg::autograd {

uint64_t next_sequence_nr() {
  thread_local uint64_t n = 0;
  return n++;
}

int next_hook_id() {
  static int id = 0;
  return ++id;
}

AutogradMeta* meta(const Tensor& t) { return static_cast<AutogradMeta*>(t->autograd.get()); }

AutogradMeta& materialize_meta(const Tensor& t) {
  if (!t->autograd) t->autograd = std::make_unique<AutogradMeta>();
  return *meta(t);
}

const std::shared_ptr<Node>& grad_fn(const Tensor& t) {
  static const std::shared_ptr<Node> none;
  auto* m = meta(t);
  return m ? m->grad_fn : none;
}

Edge gradient_edge(const Tensor& t) {
  auto* m = meta(t);
  if (!m) return {};
  if (m->grad_fn) return {m->grad_fn, m->output_nr};
  if (!m->requires_grad) return {};
  std::shared_ptr<Node> acc = m->grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(t);
    m->grad_accumulator = acc;
  }
  return {acc, 0};
}

void set_requires_grad(const Tensor& t, bool requires_grad) {
  if (requires_grad) {
    GG_CHECK(is_floating(t->dtype),
             "only Tensors of floating point dtype can require gradients (got ", dtype_name(t->dtype), ")");
    GG_CHECK(!t->is_inference || modes().inference,
             "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed.");
    materialize_meta(t).requires_grad = true;
  } else {
    auto* m = meta(t);
    if (!m) return;
    GG_CHECK(!m->grad_fn,
             "you can only change requires_grad flags of leaf variables. If you want to use a computed "
             "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().");
    m->requires_grad = false;
  }
}

void Node::call_pre_hooks(TensorList& grads) {
  for (auto& [input_nr, entry] : pre_hooks) {
    if (input_nr >= grads.size() || !grads[input_nr]) continue;
    Tensor r = entry.fn(grads[input_nr]);
    if (r) grads[input_nr] = r;
  }
  for (auto& [input_nr, weak] : retained) {
    Tensor t = weak.lock();
    if (!t || input_nr >= grads.size() || !grads[input_nr]) continue;
    auto& m = materialize_meta(t);
    // Retained grads accumulate like leaf grads, into a tensor of their own.
    m.grad = m.grad ? add(m.grad, grads[input_nr], 1.0) : clone(grads[input_nr]);
  }
}

std::vector<std::pair<std::string, Tensor>> Node::saved_tensors_named() { return {}; }

SavedTensor::SavedTensor(const Tensor& t, bool is_output) : is_output_(is_output), defined_((bool)t) {
  if (!t) return;
  GG_CHECK(!t->is_inference || modes().inference,
           "Inference tensors cannot be saved for backward. To work around you can make a clone to get "
           "a normal tensor and use it in autograd.");
  version_ = t->version();
  if (is_output) {
    data_ = shallow_alias(t);
    if (auto* m = meta(t)) output_nr_ = m->output_nr;
  } else {
    data_ = t;
    if (auto* m = meta(t)) producer_ = m->grad_fn;
  }
}

Tensor SavedTensor::peek(const std::shared_ptr<Node>& owner) const {
  if (!defined_) return nullptr;
  if (released_)
    fail(ErrorKind::Runtime,
         "Trying to backward through the graph a second time (or directly access saved tensors after they "
         "have already been freed). Saved intermediate values of the graph are freed when you call "
         ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
         "graph a second time or if you need to access saved tensors after calling backward.");
  if (!is_output_) return data_;
  Tensor t = shallow_alias(data_);
  if (owner) {
    auto& m = materialize_meta(t);
    m.requires_grad = true;
    m.grad_fn = owner;
    m.output_nr = output_nr_;
  }
  return t;
}

Tensor SavedTensor::unpack(const std::shared_ptr<Node>& owner) const {
  if (!defined_) return nullptr;
  if (!released_ && data_->version() != version_) {
    std::string which;
    if (is_output_) {
      which = str_cat(", which is output ", output_nr_, " of ", owner ? owner->name() : "?", ",");
    } else if (auto p = producer_.lock()) {
      which = str_cat(", which is output ", meta(data_) ? meta(data_)->output_nr : 0, " of ", p->name(), ",");
    }
    fail(ErrorKind::Runtime,
         "one of the variables needed for gradient computation has been modified by an inplace operation: [",
         tensor_type_str(data_), "]", which, " is at version ", data_->version(), "; expected version ",
         version_,
         " instead. Hint: the backtrace further above can show the operation that failed to compute its "
         "gradient. The variable in question was changed in there or anywhere later. Good luck!");
  }
  // Only a graph being built (create_graph) needs the output to carry its grad_fn.
  return peek(grad_enabled() ? owner : nullptr);
}

AccumulateGrad::AccumulateGrad(Tensor v) : variable(std::move(v)) {
  sequence_nr = UINT64_MAX;  // leaves accumulate as soon as their gradient is ready
}

void AccumulateGrad::call_pre_hooks(TensorList& grads) {
  auto* m = meta(variable);
  if (!m || grads.empty() || !grads[0]) return;
  for (auto& entry : m->hooks) {
    Tensor r = entry.fn(grads[0]);
    if (r) grads[0] = r;
  }
}

TensorList AccumulateGrad::apply(TensorList& grads) {
  if (grads.empty() || !grads[0]) return {};
  Tensor g = grads[0];
  auto& m = materialize_meta(variable);
  if (!m.grad) {
    // Steal the incoming buffer when no one else can see it; otherwise copy (differentiably,
    // under create_graph), so a leaf's .grad never aliases another tensor's memory.
    const bool can_steal = !grad_enabled() && g.use_count() <= 2 && g->is_contiguous() && !meta(g) &&
                           g->storage.use_count() == 1;
    m.grad = can_steal ? g : clone(g);
    if (m.grad->sizes != variable->sizes) m.grad = sum_to(m.grad, variable->sizes);
  } else if (grad_enabled()) {
    m.grad = add(m.grad, g, 1.0);
  } else {
    add_(m.grad, g, 1.0);
  }
  return {};
}

std::vector<std::pair<std::string, Tensor>> OpNode::saved_tensors_named() {
  std::vector<std::pair<std::string, Tensor>> out;
  auto self = shared_from_this();
  for (size_t i = 0; i < saved.size(); ++i) out.emplace_back(saved_names[i], saved[i].peek(self));
  return out;
}

std::vector<std::pair<std::string, SavedScalar>> OpNode::saved_scalars_named() {
  if (!scalar_name) return {};
  return {{scalar_name, SavedScalar{scalar, scalar_is_int}}};
}

static const Tensor& deref(const Tensor* p) { return *p; }
static const Tensor& deref(const Tensor& t) { return t; }

template <typename It>
static std::shared_ptr<OpNode> make_node_impl(const char* name, BackwardFn fn, It begin, It end) {
  if (!grad_enabled()) return nullptr;
  bool any = false;
  for (It it = begin; it != end; ++it) {
    const Tensor& t = deref(*it);
    if (t && t->requires_grad()) {
      any = true;
      break;
    }
  }
  if (!any) return nullptr;
  auto node = alloc::make_pooled<OpNode>(name, fn);
  for (It it = begin; it != end; ++it) {
    const Tensor& t = deref(*it);
    node->next_edges.push_back(t && t->requires_grad() ? gradient_edge(t) : Edge{});
  }
  return node;
}

std::shared_ptr<OpNode> make_node(const char* name, BackwardFn fn, std::initializer_list<const Tensor*> inputs) {
  return make_node_impl(name, fn, inputs.begin(), inputs.end());
}
std::shared_ptr<OpNode> make_node(const char* name, BackwardFn fn, const TensorList& inputs) {
  return make_node_impl(name, fn, inputs.begin(), inputs.end());
}

void set_history(const Tensor& t, const std::shared_ptr<Node>& fn, uint32_t output_nr) {
  auto& m = materialize_meta(t);
  m.requires_grad = true;
  m.grad_fn = fn;
  m.output_nr = output_nr;
}

void check_inplace(const Tensor& t, const char* op) {
  if (t->is_inference && !modes().inference)
    fail(ErrorKind::Runtime, "Inplace update to inference tensor outside InferenceMode is not allowed. You can "
         "make a clone to get a normal tensor before doing inplace update. See "
         "https://github.com/pytorch/rfcs/pull/17 for more details. [", op, "]");
  if (grad_enabled() && t->requires_grad() && is_leaf(t))
    fail(ErrorKind::Runtime, "a leaf Variable that requires grad is being used in an in-place operation. [", op, "]");
  if (grad_enabled() && t->is_view && t->view_base && t->view_base->requires_grad() && is_leaf(t->view_base))
    fail(ErrorKind::Runtime, "a view of a leaf Variable that requires grad is being used in an in-place operation. [",
         op, "]");
}

}  // namespace gg::autograd
