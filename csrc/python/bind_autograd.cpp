// Autograd from Python: graph nodes, backward / grad, grad modes, tensor hooks, and the node
// behind custom autograd.Function classes.
#include "autograd/engine.h"
#include "autograd/node.h"
#include "python/common.h"

namespace gg::py_bind {

using namespace autograd;
using namespace pybind11::literals;

namespace {

// The node recorded by a custom autograd.Function: calls the class's backward(ctx, *grads).
struct PyFunctionNode : Node {
  std::string node_name;
  py::object ctx, backward_fn;
  std::vector<SavedTensor> saved;
  std::vector<std::pair<DimVec, DType>> output_meta;  // to materialize missing output grads
  std::vector<std::pair<DimVec, DType>> input_meta;   // to check returned gradients
  std::vector<bool> input_is_tensor;

  std::string name() const override { return node_name; }
  void release_variables() override {
    for (auto& s : saved) s.release();
  }
  ~PyFunctionNode() override {
    py::gil_scoped_acquire gil;
    ctx = py::object();
    backward_fn = py::object();
  }

  TensorList apply(TensorList& grads) override {
    py::gil_scoped_acquire gil;  // backward runs with the GIL released
    py::tuple args(1 + output_meta.size());
    args[0] = ctx;
    for (size_t i = 0; i < output_meta.size(); ++i) {
      Tensor g = i < grads.size() ? grads[i] : nullptr;
      if (!g) {
        g = empty(output_meta[i].first, output_meta[i].second);
        zero_(g);
      }
      args[1 + i] = py::cast(g);
    }
    auto self = std::static_pointer_cast<PyFunctionNode>(shared_from_this());
    ctx.attr("_unpack_saved") = py::cpp_function([self]() {
      py::tuple out(self->saved.size());
      for (size_t i = 0; i < self->saved.size(); ++i) out[i] = py::cast(self->saved[i].unpack(self));
      return out;
    });
    py::object result = backward_fn(*args);
    py::delattr(ctx, "_unpack_saved");
    py::tuple res = py::isinstance<py::tuple>(result) ? py::reinterpret_borrow<py::tuple>(result) : py::make_tuple(result);
    const size_t n_in = input_is_tensor.size();
    if (res.size() != n_in) {
      // Trailing Nones for non-tensor inputs may be omitted only if they are None.
      fail(ErrorKind::Runtime, "function ", node_name, " returned an incorrect number of gradients (expected ", n_in,
           ", got ", res.size(), ")");
    }
    TensorList out;
    size_t edge = 0;
    for (size_t i = 0; i < n_in; ++i) {
      if (!input_is_tensor[i]) {
        GG_CHECK(res[i].is_none(), "function ", node_name, " returned a gradient different than None at position ",
                 i + 1, ", but the corresponding forward input was not a Variable");
        continue;
      }
      Tensor g;
      if (!res[i].is_none()) {
        g = res[i].cast<Tensor>();
        const auto& [shape, dtype] = input_meta[edge];
        if (g->sizes != shape) {
          try {
            g = sum_to(g, shape);
          } catch (const Error&) {
            fail(ErrorKind::Runtime, "Function ", node_name, " returned an invalid gradient at index ", edge,
                 " - got ", shape_str(g->sizes), " but expected shape compatible with ", shape_str(shape));
          }
        }
        if (g->dtype != dtype) g = to_dtype(g, dtype);
      }
      out.push_back(g);
      ++edge;
    }
    return out;
  }
};

// A Python hook held from C++: called, copied and destroyed with the GIL taken, since the
// engine runs with it released.
struct PyHook {
  std::shared_ptr<py::function> fn;
  explicit PyHook(py::function f)
      : fn(new py::function(std::move(f)), [](py::function* p) {
          py::gil_scoped_acquire gil;
          delete p;
        }) {}
  Tensor operator()(const Tensor& g) const {
    py::gil_scoped_acquire gil;
    py::object r = (*fn)(g);
    if (r.is_none()) return nullptr;
    return r.cast<Tensor>();
  }
};

std::vector<Edge> edges_of(const std::vector<Tensor>& ts, const char* what) {
  std::vector<Edge> edges;
  for (size_t i = 0; i < ts.size(); ++i) {
    Edge e = gradient_edge(ts[i]);
    GG_CHECK(e.fn, "element ", i, " of ", what, " does not require grad and does not have a grad_fn");
    edges.push_back(e);
  }
  return edges;
}

TensorList root_grads(const std::vector<Tensor>& outputs, const std::vector<std::optional<Tensor>>& grads) {
  TensorList out;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& o = outputs[i];
    Tensor g = i < grads.size() && grads[i] ? *grads[i] : nullptr;
    if (!g) {
      GG_CHECK(o->numel() == 1, "grad can be implicitly created only for scalar outputs");
      GG_CHECK(is_floating(o->dtype), "grad can be implicitly created only for real scalar outputs but got ",
               dtype_name(o->dtype));
      g = empty(o->sizes, o->dtype, o->device());
      fill_(g, Scalar::from_double(1.0));
    } else {
      GG_CHECK(g->sizes == o->sizes, "Mismatch in shape: grad_output[", i, "] has a shape of torch.Size(",
               shape_str(g->sizes), ") and output[", i, "] has a shape of torch.Size(", shape_str(o->sizes), ").");
    }
    out.push_back(g);
  }
  return out;
}

void check_not_inference(const std::vector<Tensor>& ts) {
  for (const Tensor& t : ts)
    GG_CHECK(!t->is_inference || !t->requires_grad(),
             "Inference tensors cannot be saved for backward. To work around you can make a clone to get a normal "
             "tensor and use it in autograd.");
}

}  // namespace

// type(t.grad_fn).__name__ is the node's name in PyTorch (AddBackward0, ...). Every node is
// one C++ type here, so each Python wrapper gets a trivial subclass named after its node,
// made once per name.
py::object node_to_python(const std::shared_ptr<Node>& n) {
  py::object obj = py::cast(n);
  if (!n) return obj;
  static PyTypeObject* base = (PyTypeObject*)py::type::of<Node>().ptr();
  if (Py_TYPE(obj.ptr()) != base) return obj;
  static py::dict* classes = new py::dict();
  std::string name = n->name();
  auto pos = name.rfind("::");
  if (pos != std::string::npos) name = name.substr(pos + 2);
  py::str key(name);
  if (!classes->contains(key)) {
    py::object sub = py::reinterpret_borrow<py::object>((PyObject*)&PyType_Type)(
        key, py::make_tuple(py::handle((PyObject*)base)), py::dict("__module__"_a = "gradgate.autograd.graph", "__slots__"_a = py::tuple()));
    (*classes)[key] = sub;
  }
  obj.attr("__class__") = (*classes)[key];
  return obj;
}

void bind_autograd(py::module_& m) {
  py::class_<Node, std::shared_ptr<Node>>(m, "Node", py::dynamic_attr())
      .def("name", &Node::name)
      .def("__repr__", [](py::handle self) {
        // PyTorch prints the class name: AccumulateGrad, not torch::autograd::AccumulateGrad.
        std::string name = self.cast<Node&>().name();
        auto pos = name.rfind("::");
        if (pos != std::string::npos) name = name.substr(pos + 2);
        return str_cat("<", name, " object at ", (void*)self.ptr(), ">");
      })
      .def("__eq__", [](const Node& a, py::handle b) {
        return py::isinstance<Node>(b) && &a == &b.cast<const Node&>();
      })
      .def("__hash__", [](const Node& a) { return (Py_ssize_t)(uintptr_t)&a; })
      .def_property_readonly("next_functions", [](const Node& n) {
        py::tuple t(n.next_edges.size());
        for (size_t i = 0; i < n.next_edges.size(); ++i)
          t[i] = py::make_tuple(node_to_python(n.next_edges[i].fn), n.next_edges[i].input_nr);
        return t;
      })
      .def_property_readonly("variable", [](Node& n) -> py::object {
        auto* acc = dynamic_cast<AccumulateGrad*>(&n);
        if (!acc) throw py::attribute_error("'" + n.name() + "' object has no attribute 'variable'");
        return py::cast(acc->variable);
      })
      .def("__getattr__", [](Node& n, const std::string& attr) -> py::object {
        if (attr.rfind("_saved_", 0) == 0) {
          std::string key = attr.substr(7);
          for (auto& [name, t] : n.saved_tensors_named())
            if (name == key) return py::cast(t);
          for (auto& [name, v] : n.saved_scalars_named())
            if (name == key) return v.is_int ? py::object(py::int_((int64_t)v.value)) : py::object(py::float_(v.value));
        }
        throw py::attribute_error("'" + n.name() + "' object has no attribute '" + attr + "'");
      });

  m.def("_run_backward", [](const std::vector<Tensor>& outputs, const std::vector<std::optional<Tensor>>& grads,
                            bool keep_graph, bool create_graph) {
    check_not_inference(outputs);
    auto roots = edges_of(outputs, "tensors");
    TensorList seeds = root_grads(outputs, grads);
    py::gil_scoped_release no_gil;  // Python is needed again only by hooks and custom Functions
    run_backward(roots, seeds, keep_graph, create_graph, {});
  });

  m.def("_grad", [](const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                    const std::vector<std::optional<Tensor>>& grads, bool keep_graph, bool create_graph,
                    bool allow_unused) {
    check_not_inference(outputs);
    auto roots = edges_of(outputs, "tensors");
    std::vector<Edge> capture;
    for (size_t i = 0; i < inputs.size(); ++i) {
      GG_CHECK(inputs[i]->requires_grad(), "One of the differentiated Tensors does not require grad");
      capture.push_back(gradient_edge(inputs[i]));
    }
    TensorList seeds = root_grads(outputs, grads);
    TensorList res;
    {
      py::gil_scoped_release no_gil;
      res = run_backward(roots, seeds, keep_graph, create_graph, capture);
    }
    py::tuple out(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!res[i]) {
        GG_CHECK(allow_unused, "One of the differentiated Tensors appears to not have been used in the graph. Set "
                 "allow_unused=True if this is the desired behavior.");
        out[i] = py::none();
      } else {
        out[i] = py::cast(res[i]);
      }
    }
    return out;
  });

  m.def("is_grad_enabled", []() { return modes().grad_enabled; });
  m.def("_set_grad_enabled", [](bool on) { modes().grad_enabled = on; });
  m.def("is_inference_mode_enabled", []() { return modes().inference; });
  // Returns the previous (grad_enabled, inference) pair so the context manager can restore it.
  m.def("_enter_inference_mode", [](bool on) {
    auto prev = py::make_tuple(modes().grad_enabled, modes().inference);
    if (on) {
      modes().inference = true;
      modes().grad_enabled = false;
    }
    return prev;
  });
  m.def("_restore_modes", [](bool grad_enabled, bool inference) {
    modes().grad_enabled = grad_enabled;
    modes().inference = inference;
  });

  m.def("_register_hook", [](const Tensor& t, py::function fn) {
    GG_CHECK(t->requires_grad(), "cannot register a hook on a tensor that doesn't require gradient");
    int id = next_hook_id();
    Hook hook = PyHook(std::move(fn));
    auto* mt = meta(t);
    if (mt->grad_fn) mt->grad_fn->pre_hooks.push_back({mt->output_nr, HookEntry{id, hook}});
    else mt->hooks.push_back(HookEntry{id, hook});
    return id;
  });
  m.def("_remove_hook", [](const Tensor& t, int id) {
    auto* mt = meta(t);
    if (!mt) return;
    auto& hs = mt->hooks;
    hs.erase(std::remove_if(hs.begin(), hs.end(), [id](const HookEntry& h) { return h.id == id; }), hs.end());
    if (mt->grad_fn) {
      auto& ph = mt->grad_fn->pre_hooks;
      ph.erase(std::remove_if(ph.begin(), ph.end(), [id](const auto& p) { return p.second.id == id; }), ph.end());
    }
  });

  // Records a custom Function: `outputs` become outputs of a node whose backward calls
  // backward_fn(ctx, *grads). Returns the outputs to hand back (inputs returned as-is are aliased).
  m.def("_record_function", [](const std::string& name, py::object ctx, py::object backward_fn, py::list inputs,
                               std::vector<Tensor> outputs, std::vector<std::optional<Tensor>> to_save,
                               std::vector<Tensor> non_differentiable) {
    auto node = std::make_shared<PyFunctionNode>();
    node->node_name = name;
    bool any = false;
    for (py::handle h : inputs) {
      bool is_t = is_tensor(h);
      node->input_is_tensor.push_back(is_t);
      if (!is_t) continue;
      Tensor t = h.cast<Tensor>();
      node->input_meta.emplace_back(t->sizes, t->dtype);
      Edge e = t->requires_grad() ? gradient_edge(t) : Edge{};
      any = any || e.valid();
      node->next_edges.push_back(e);
    }
    std::vector<Tensor> result;
    for (Tensor& o : outputs) {
      for (py::handle h : inputs)
        if (is_tensor(h) && h.cast<Tensor>() == o) {
          o = view(o, o->sizes);  // an input returned unchanged becomes a new node's output
          break;
        }
      result.push_back(o);
    }
    if (!any || !grad_enabled()) return result;
    node->ctx = ctx;
    node->backward_fn = backward_fn;
    uint32_t nr = 0;
    for (Tensor& o : result) {
      node->output_meta.emplace_back(o->sizes, o->dtype);
      bool nd = std::find(non_differentiable.begin(), non_differentiable.end(), o) != non_differentiable.end();
      if (is_floating(o->dtype) && !nd) set_history(o, node, nr);
      ++nr;
    }
    // Saved after the outputs are bound, so a saved output knows its output number.
    for (auto& s : to_save) {
      bool is_output = false;
      if (s)
        for (auto& o : result) is_output = is_output || o == *s;
      node->saved.emplace_back(s ? *s : nullptr, is_output);
    }
    return result;
  });
}

}  // namespace gg::py_bind
