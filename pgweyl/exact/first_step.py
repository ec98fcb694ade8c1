"""Route (a) to the closed forms: first-step linear algebra over ℚ(p, s) on the interior graph.

With I the interior states reachable from λ (:class:`pgweyl.weyl.transfer.InteriorGraph`),
P = Σ_j p_j M_j the sub-stochastic step matrix and R the I×∂ exit matrix
(R[x, b] = Σ_{j : x + s_j exits at b} p_j), first-step analysis gives

    h_b(x) = E_x[s^T; X_T = b]   solves   (I − sP) h_b = s R e_b,
    k(x)   = E_x[Σ_{t<T} s^t]    solves   (I − sP) k   = 1.

Only the start's row is needed, so one system is solved: (I − sP)ᵀ y = e_λ, and then
G_b(s) = s yᵀ R e_b, K(s) = yᵀ 1. It is solved fraction-free
(``DomainMatrix.solve_den``) over ℤ[p, s] — over ℤ[s] or ℤ when the probabilities are
rational, after scaling by the lcm of their denominators — and each quotient is reduced
by a polynomial gcd (never ``simplify``). The identities hold as formal power series in the
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

import math

from pgweyl.weyl.transfer import InteriorGraph


def _coefficient(expr):
    """The rational factor of a product of a rational and symbols (1 for a symbol)."""
    return expr.as_coeff_Mul()[0]


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
        # Integer coefficients are much faster than rationals: scale (I − sP)ᵀ by the lcm L
        # of the denominators of the s·p_j (the solution y does not change).
        L = math.lcm(*[int(sympy.Rational(_coefficient(s * v)).q) for v in values])
        Lp = math.lcm(*[int(sympy.Rational(_coefficient(v)).q) for v in values])
        dom = sympy.ZZ[tuple(gens)] if gens else sympy.ZZ
        conv = dom.from_sympy
        w = [conv(L * s * v) for v in values]  # L s p_j
        pL = [conv(Lp * v) for v in values]  # Lp p_j
        n = self.n_states
        rows = [dict() for _ in range(n)]  # sparse rows of L (I − sP)ᵀ
        for i in range(n):
            rows[i][i] = dom.convert(L)
        for i, t, j in self.edges:
            if w[j]:
                rows[t][i] = rows[t].get(i, dom.zero) - w[j]
        entries = {r: {c: v for c, v in row.items() if v} for r, row in enumerate(rows)}
        A = DomainMatrix(entries, (n, n), dom)
        b = DomainMatrix({0: {0: dom.convert(L)}}, (n, 1), dom)
        xnum, den = A.solve_den(b)
        y = [xnum[i, 0].element for i in range(n)]
        nums = [dom.zero] * self.n_exits
        for i, e, j in self.exit_edges:
            nums[e] += y[i] * pL[j]
        if divide_by_s:
            top, bottom = dom.one, den * Lp
        elif isinstance(s, sympy.Rational):
            top, bottom = dom.convert(int(s.p)), den * Lp * int(s.q)
        else:
            top, bottom = conv(s), den * Lp
        G = [_canonical(dom, top * num, bottom, back) for num in nums]
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
    """num/den (over ℤ[gens]) reduced to lowest terms with coefficients of content 1 and
    the denominator's constant term positive, as a sympy expression."""
    import sympy

    if not num:
        return sympy.Integer(0)
    if not dom.is_PolynomialRing:  # no generators: integers
        return sympy.Rational(int(num), int(den))
    num, den = num.cancel(den)
    g = math.gcd(*[int(c) for c in (*num.values(), *den.values())])
    # den divides det(I − sP), which is 1 at the origin: its constant term is non-zero.
    if den.get(den.ring.zero_monom, 1) < 0:
        g = -g
    expr = num.quo_ground(g).as_expr() / den.quo_ground(g).as_expr()
    if back:
        expr = sympy.cancel(expr.xreplace(back))
    return expr


__all__ = ["FirstStepSystem"]
