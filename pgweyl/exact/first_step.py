"""Route (a) to the closed forms: first-step linear algebra over ℚ(p, s) on the interior graph.

With I the interior states reachable from λ (:class:`pgweyl.weyl.transfer.InteriorGraph`),
P = Σ_j p_j M_j the sub-stochastic step matrix and R the I×∂ exit matrix
(R[x, b] = Σ_{j : x + s_j exits at b} p_j), first-step analysis gives

    h_b(x) = E_x[s^T; X_T = b]   solves   (I − sP) h_b = s R e_b,
    k(x)   = E_x[Σ_{t<T} s^t]    solves   (I − sP) k   = 1.

Only the start's row is needed, so one system is solved: (I − sP)ᵀ y = e_λ, and then
G_b(s) = s yᵀ R e_b, K(s) = yᵀ 1. It is solved fraction-free
(``DomainMatrix.solve_den``) over ℚ[p, s] — over ℚ[s] or ℚ when the probabilities are
rational, so the work stays in exact polynomials — and each quotient is reduced by a
polynomial gcd (never ``simplify``). The identities hold as formal power series in the
p_j, so free symbols need not sum to 1.

Canonical form: num/den in lowest terms, integer coefficients of content 1, the
denominator's constant term positive (it divides det(I − sP), which is 1 at p = 0, s = 0);
two routes that agree give identical expressions.

>>> import sympy
>>> from pgweyl.weyl.alcove import Alcove
>>> from pgweyl.weyl.steps import StepSet
>>> sys = FirstStepSystem(Alcove("A1", 3), StepSet("unit", "A1"), (1, 0), [(0, 0), (3, 0)])
>>> p, q, s = sympy.symbols("p q s")
>>> G, K = sys.solve([p, q], s)
>>> G[1], K
(p**2*s**2/(-p*q*s**2 + 1), (p*s + 1)/(-p*q*s**2 + 1))
"""

from __future__ import annotations

from pgweyl.weyl.transfer import InteriorGraph


class FirstStepSystem:
    """The interior step graph of (alcove, steps, start) with its exits, as edge lists.

    ``edges`` holds (i, t, j): state i steps to interior state t by step j;
    ``exit_edges`` holds (i, e, j): state i leaves at exit point number e by step j
    (numbered as ``exit_points``). State 0 is the start."""

    def __init__(self, alcove, steps, start, exit_points):
        graph = InteriorGraph(alcove, steps, start)
        index = {tuple(int(v) for v in b): e for e, b in enumerate(exit_points)}
        self.n_states = len(graph)
        self.n_steps = len(steps.vectors)
        self.n_exits = len(index)
        self.edges, self.exit_edges = [], []
        for i, (row, ex) in enumerate(zip(graph.succ, graph.exits)):
            for j, (t, b) in enumerate(zip(row, ex)):
                if t >= 0:
                    self.edges.append((i, t, j))
                elif b is not None:
                    self.exit_edges.append((i, index[b], j))

    # -- the domain -----------------------------------------------------------------------
    @staticmethod
    def _formal(probs, s):
        """(generators, values of p_j in them, value of s, substitution back or None)."""
        import sympy

        gens, back, values = [], {}, []
        for p in probs:
            if isinstance(p, sympy.Rational):
                values.append(p)
            elif isinstance(p, sympy.Symbol) and p not in gens and p != s:
                gens.append(p)
                values.append(p)
            else:  # an expression: a dummy generator, substituted at the end
                d = sympy.Dummy("p")
                gens.append(d)
                back[d] = p
                values.append(d)
        if isinstance(s, sympy.Symbol):
            gens.append(s)
        return gens, values, back or None

    def solve(self, probs, s, *, divide_by_s: bool = False):
        """([G_b(s) for each exit point], K(s)) as canonical sympy expressions.

        ``probs`` are sympy objects (Rationals, Symbols or expressions) aligned with the
        steps, ``s`` a sympy Symbol or Rational. ``divide_by_s`` returns G_b(s)/s instead
        (T ≥ 1, so the quotient is a polynomial multiple of the same denominator)."""
        import sympy
        from sympy.polys.matrices import DomainMatrix

        gens, values, back = self._formal(probs, s)
        dom = sympy.QQ[tuple(gens)] if gens else sympy.QQ
        conv = dom.from_sympy
        p = [conv(v) for v in values]
        s_el = conv(s)
        n = self.n_states
        rows = [dict() for _ in range(n)]  # sparse rows of (I − sP)ᵀ
        for i in range(n):
            rows[i][i] = dom.one
        for i, t, j in self.edges:
            if p[j]:
                rows[t][i] = rows[t].get(i, dom.zero) - s_el * p[j]
        entries = {r: {c: v for c, v in row.items() if v} for r, row in enumerate(rows)}
        A = DomainMatrix(entries, (n, n), dom)
        b = DomainMatrix({0: {0: dom.one}}, (n, 1), dom)
        xnum, den = A.solve_den(b)
        y = [xnum[i, 0].element for i in range(n)]
        nums = [dom.zero] * self.n_exits
        for i, e, j in self.exit_edges:
            nums[e] += y[i] * p[j]
        factor = dom.one if divide_by_s else s_el
        G = [_canonical(dom, factor * num, den, back) for num in nums]
        K = _canonical(dom, sum(y, dom.zero), den, back)
        return G, K

    def survival(self, probs, n_max: int):
        """[P(T > n) for n = 0..n_max] by iterating the step matrix (exact)."""
        import sympy

        gens, values, back = self._formal(probs, None)
        dom = sympy.QQ[tuple(gens)] if gens else sympy.QQ
        p = [dom.from_sympy(v) for v in values]
        vec = [dom.zero] * self.n_states
        vec[0] = dom.one
        out = [dom.one]
        for _ in range(n_max):
            nxt = [dom.zero] * self.n_states
            for i, t, j in self.edges:
                if vec[i] and p[j]:
                    nxt[t] += vec[i] * p[j]
            vec = nxt
            out.append(sum(vec, dom.zero))
        exprs = [dom.to_sympy(v) for v in out]
        if back:
            exprs = [sympy.expand(e.xreplace(back)) for e in exprs]
        return exprs


def _canonical(dom, num, den, back):
    """num/den reduced to lowest terms with integer coefficients of content 1 and the
    denominator's constant term positive, as a sympy expression."""
    import math

    import sympy

    if not num:
        return sympy.Integer(0)
    if dom.is_Field:  # no generators: plain rationals
        return dom.to_sympy(num / den)
    num, den = num.cancel(den)
    coeffs = [
        sympy.Rational(int(c.numerator), int(c.denominator)) for c in (*num.values(), *den.values())
    ]
    scale = sympy.Rational(
        math.lcm(*[int(c.q) for c in coeffs]), math.gcd(*[int(c.p) for c in coeffs])
    )
    # den divides det(I − sP), which is 1 at the origin: its constant term is non-zero.
    if den.get(den.ring.zero_monom, 1) < 0:
        scale = -scale
    factor = dom.convert(scale)
    expr = (num * factor).as_expr() / (den * factor).as_expr()
    if back:
        expr = sympy.cancel(expr.xreplace(back))
    return expr


__all__ = ["FirstStepSystem"]
