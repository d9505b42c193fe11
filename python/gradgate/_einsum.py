"""gradgate.einsum: contractions lowered to permute / reshape / bmm / sum of the existing
differentiable ops (so autograd and double backward come for free).

Supported: explicit ('bij,bjk->bik') and implicit ('ij,jk') equations over any number of
operands, summed-out letters, transposes, outer products, a letter repeated inside one operand
(diagonals such as 'ii->i', taken as (t * eye).sum), '...' (broadcast, right-aligned) and
size-1 broadcasting of a subscript, as PyTorch."""
from . import _C

Tensor = _C.Tensor

__all__ = ["einsum"]


def _expand_ellipsis(eq, terms, out, ndims, equation):
    """Replace '...' by fresh letters, right-aligned across operands (the broadcast dims)."""
    for t in terms + ([out] if out is not None else []):
        if t.replace("...", "").count(".") or t.count("...") > 1:
            raise RuntimeError(f"einsum(): found '.' for operand that is not part of any ellipsis: {equation!r}")
    counts = []
    for k, t in enumerate(terms):
        if "..." in t:
            n = ndims[k] - (len(t) - 3)
            if n < 0:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(t) - 3}) is more than "
                                   f"the number of dimensions ({ndims[k]}) for operand {k}")
            counts.append(n)
        else:
            counts.append(0)
    n_ell = max(counts)
    pool = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in eq][:n_ell]
    if len(pool) < n_ell:
        raise RuntimeError(f"einsum(): too many subscripts for the ellipsis: {equation!r}")
    ell = "".join(pool)
    terms = [t.replace("...", ell[n_ell - n:]) if "..." in t else t for t, n in zip(terms, counts)]
    if out is not None:
        out = out.replace("...", ell)
    return terms, out, ell


def _parse(equation, ndims):
    n_ops = len(ndims)
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, out = eq.split("->", 1)
        if "->" in out:
            raise RuntimeError(f"einsum(): found more than one '->' in the equation {equation!r}")
        implicit = False
    else:
        lhs, out, implicit = eq, None, True
    terms = lhs.split(",")
    if len(terms) != n_ops:
        raise RuntimeError(f"einsum(): more operands were provided than specified in the equation {equation!r}"
                           if len(terms) < n_ops else
                           f"einsum(): fewer operands were provided than specified in the equation {equation!r}")
    ell = ""
    if "." in eq:
        terms, out, ell = _expand_ellipsis(eq, terms, out, ndims, equation)
    for t in terms + ([out] if out is not None else []):
        for c in t:
            if not c.isalpha():
                raise RuntimeError(f"einsum(): invalid subscript given at index {eq.index(c)} in the equation "
                                   f"string, subscripts must be in [a-zA-Z]: {equation!r}")
    if implicit:
        counts = {}
        for t in terms:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted((c for c, k in counts.items() if k == 1 and c not in ell),
                                   key=lambda c: (c.islower(), c)))
    else:
        if len(set(out)) != len(out):
            raise RuntimeError(f"einsum(): output subscript appears more than once in the output: {equation!r}")
        seen = set("".join(terms))
        for c in out:
            if c not in seen:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any "
                                   f"input operand: {equation!r}")
    return terms, out


def _sum_out(t, sub, keep):
    """Sum the letters of `sub` that are not in `keep`."""
    dims = [i for i, c in enumerate(sub) if c not in keep]
    if dims:
        t = t.sum(dim=tuple(dims))
        sub = "".join(c for c in sub if c in keep)
    return t, sub


def _diagonals(t, sub):
    """Take the diagonal for each letter repeated within one operand ('ii' -> 'i')."""
    from . import eye
    while len(set(sub)) != len(sub):
        c = next(c for c in sub if sub.count(c) > 1)
        i = sub.index(c)
        j = sub.index(c, i + 1)
        n = t.shape[i]
        shape = [1] * t.dim()
        shape[i] = shape[j] = n
        t = (t * eye(n, dtype=t.dtype).reshape(shape)).sum(j)
        sub = sub[:j] + sub[j + 1:]
    return t, sub


def _prod(sizes):
    p = 1
    for s in sizes:
        p *= s
    return p


def _contract(a, sa, b, sb, keep, size):
    """Contract two operands; the result holds exactly the letters of a or b that are in keep."""
    a, sa = _sum_out(a, sa, set(keep) | set(sb))
    b, sb = _sum_out(b, sb, set(keep) | set(sa))
    batch = [c for c in sa if c in sb and c in keep]
    contr = [c for c in sa if c in sb and c not in keep]
    left = [c for c in sa if c not in sb]
    right = [c for c in sb if c not in sa]
    pa = a.permute([sa.index(c) for c in batch + left + contr])
    pb = b.permute([sb.index(c) for c in batch + contr + right])
    nb, nl, nc, nr = (_prod(size[c] for c in g) for g in (batch, left, contr, right))
    r = pa.reshape(nb, nl, nc).bmm(pb.reshape(nb, nc, nr))
    r = r.reshape([size[c] for c in batch + left + right])
    return r, "".join(batch + left + right)


def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): argument 'equation' must be str, not {type(equation).__name__}")
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    for i, op in enumerate(operands):
        if not isinstance(op, Tensor):
            raise TypeError(f"einsum(): argument 'operands' must be tuple of Tensors, but found element of type "
                            f"{type(op).__name__} at pos {i}")
    terms, out = _parse(equation, [o.dim() for o in operands])
    size = {}
    for i, (t, sub) in enumerate(zip(operands, terms)):
        if t.dim() != len(sub):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(sub)}) does not match "
                               f"the number of dimensions ({t.dim()}) for operand {i} and no ellipsis was given")
        for c, s in zip(sub, t.shape):
            if c in size and s == 1:
                continue  # size-1 dims broadcast
            if c in size and size[c] != s and size[c] != 1:
                raise RuntimeError(f"einsum(): operands do not broadcast with remapped shapes (original->remapped):"
                                   f" subscript {c} has size {s} for operand {i} which does not match previously "
                                   f"seen size {size[c]} (equation {equation!r}, shapes "
                                   f"{[list(o.shape) for o in operands]})")
            size[c] = s
    dtypes = {o.dtype for o in operands}
    if len(dtypes) > 1:
        raise RuntimeError(f"einsum(): expected all operands to have the same dtype, got {sorted(map(str, dtypes))}")
    ops_, terms_ = [], []
    for t, sub in zip(operands, terms):
        full = [size[c] for c in sub]
        if list(t.shape) != full:
            t = t.expand(*full)
        t, sub = _diagonals(t, sub)
        ops_.append(t)
        terms_.append(sub)
    res, sub = ops_[0], terms_[0]
    for k in range(1, len(ops_)):
        later = set("".join(terms_[k + 1:])) | set(out)
        res, sub = _contract(res, sub, ops_[k], terms_[k], later, size)
    res, sub = _sum_out(res, sub, set(out))
    perm = [sub.index(c) for c in out]
    if perm != list(range(len(perm))):
        res = res.permute(perm)
    elif len(operands) == 1 and res is operands[0]:
        res = res.permute(perm)  # a view, like PyTorch's einsum of a pure relabeling
    return res
