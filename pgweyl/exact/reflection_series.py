"""Route (b) to the closed forms: reflection counts and Padé reconstruction (exp family).

A path's probability depends on more than its end point in general, but not in the
exponential family (THEORY §4), which is where the reflection counts F_n(λ, b) suffice:

- ``unit`` steps on A_n (every probability vector p is in the family): a path from λ
  to b in n steps takes step e_i exactly δ_i(n) = δ_i + t times, where δ is the least
  non-negative full-coordinate displacement to b and n = n_0 + d t, n_0 = Σδ, d = n + 1;
  so with y = s^d Π_i p_i

      G_b(s) = s^{n_0} Π_i p_i^{δ_i} · Ψ_b(y),   Ψ_b(y) = Σ_t F_{n_0 + d t}(λ, b) y^t;

- ``signed`` steps ±e_i with p(+e_i) p(−e_i) = c for every i: a path with displacement
  δ = b − λ in n = |δ|_1 + 2t steps has probability c^t Π_i q_i^{|δ_i|}, q_i = p(±e_i)
  by the sign of δ_i; so with y = c s², G_b(s) = s^{|δ|_1} Π_i q_i^{|δ_i|} Ψ_b(y).

Ψ_b is rational of degree ≤ M = ⌊N/g⌋ (N the interior point count of the alcove, a
closed form; g = d or 2 the period): Φ_b(z) = Σ F_n z^n has numerator and denominator
of degree ≤ N and its denominator is a polynomial in z^g. So Ψ_b is recovered exactly
from its first 2M + 1 coefficients by rational reconstruction (extended Euclid over ℚ)
and checked against further coefficients. The counts come from
:func:`pgweyl.weyl.reflection.count_paths_reflection`; nothing here uses the interior
graph. E[Σ_{t<T} s^t] follows from (1 − σs) K(s) = 1 − Σ_b G_b(s), σ = Σ_j p_j (one
step extends every surviving path by every step), and P(T > n) from the interior counts
C_n(λ, x) weighted like the exits.

>>> import sympy
>>> from pgweyl.weyl.alcove import Alcove
>>> from pgweyl.weyl.steps import StepSet
>>> rs = ReflectionSeries(Alcove("A1", 3), StepSet("unit", "A1"), (1, 0), [(0, 0), (3, 0)])
>>> p, q, s = sympy.symbols("p q s")
>>> rs.exit_gf([p, q], s)[1]
p**2*s**2/(-p*q*s**2 + 1)
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from pgweyl.errors import ArgumentError
from pgweyl.weyl.reflection import count_paths_reflection
from pgweyl.weyl.sizes import interior_point_count

#: Coefficients checked beyond the 2M + 1 that determine each Ψ_b.
EXTRA_TERMS = 3


# -- univariate polynomials over ℚ: lists of Fractions, lowest degree first ---------------------
def _trim(a):
    while a and a[-1] == 0:
        a = a[:-1]
    return a


def _sub(a, b):
    n = max(len(a), len(b))
    return _trim([(a[i] if i < len(a) else 0) - (b[i] if i < len(b) else 0) for i in range(n)])


def _mul(a, b):
    if not a or not b:
        return []
    out = [Fraction(0)] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        if x:
            for j, y in enumerate(b):
                out[i + j] += x * y
    return _trim(out)


def _divmod(a, b):
    a, q = list(a), [Fraction(0)] * max(len(a) - len(b) + 1, 1)
    while len(a) >= len(b) and a:
        c = a[-1] / b[-1]
        k = len(a) - len(b)
        q[k] = c
        a = _trim([x - c * (b[i - k] if 0 <= i - k < len(b) else 0) for i, x in enumerate(a)])
    return _trim(q), a


def _gcd(a, b):
    while b:
        a, b = b, _divmod(a, b)[1]
    return a


def rational_reconstruction(coeffs, m: int):
    """(N, D) with deg N, deg D ≤ m, D(0) = 1, gcd(N, D) = 1 and D·Σ c_t y^t ≡ N mod y^{2m+1}.

    Extended Euclid on (y^{2m+1}, the series) stopped at the first remainder of degree
    ≤ m (the Padé approximant [m/m]); unique when the series is rational of that degree.

    >>> rational_reconstruction([1, 1, 1, 1, 1], 2)   # 1/(1 − y)
    ([Fraction(1, 1)], [Fraction(1, 1), Fraction(-1, 1)])
    """
    k = 2 * m + 1
    r0, r1 = [Fraction(0)] * k + [Fraction(1)], _trim([Fraction(c) for c in coeffs[:k]])
    t0, t1 = [], [Fraction(1)]
    while r1 and len(r1) - 1 > m:
        q, r = _divmod(r0, r1)
        r0, r1 = r1, r
        t0, t1 = t1, _sub(t0, _mul(q, t1))
    num, den = r1, t1
    g = _gcd(num, den) if num else den
    num, den = _divmod(num, g)[0], _divmod(den, g)[0]
    if not den or den[0] == 0:
        raise ArithmeticError("rational reconstruction failed: the series is not rational")
    c = den[0]
    return [x / c for x in num], [x / c for x in den]


class ReflectionSeries:
    """Ψ_b for every exit point of (alcove, steps, start) from the reflection counts.

    Attributes per exit point (lists aligned with ``exit_points``): ``n0`` (first
    possible exit time), ``exponents`` (the p_j powers of the prefactor, per step),
    ``psi`` ((N, D) of Ψ_b, lists of Fractions); ``period`` g."""

    def __init__(self, alcove, steps, start, exit_points):
        if steps.kind not in ("unit", "signed"):
            raise ArgumentError(
                "method 'reflection' covers the catalog step sets 'unit' and 'signed' "
                f"(where the exp family is known); got {steps.kind!r} steps: use method 'linear'"
            )
        self.kind = steps.kind
        self.alcove, self.steps = alcove, steps
        self.start = np.asarray(start, dtype=np.int64)
        lam = self.start
        d = alcove.dim
        k = len(steps.vectors)
        self.period = d if self.kind == "unit" else 2
        g = self.period
        n_interior = interior_point_count(alcove.cartan, alcove.level)
        self.m = n_interior // g
        n_terms = 2 * self.m + 1 + EXTRA_TERMS
        self.n0, self.exponents, self.first = [], [], []
        for b in exit_points:
            b = np.asarray(b, dtype=np.int64)
            if self.kind == "unit":  # b is a representative; lift to the least δ ≥ 0
                delta = b - alcove.representative(lam)
                delta = delta - delta.min()
                exps = delta.tolist()
                first = lam + delta
            else:
                delta = b - lam
                exps = [0] * k
                for i, v in enumerate(delta.tolist()):
                    exps[2 * i + (v < 0)] = abs(v)
                first = b
            self.n0.append(int(np.abs(delta).sum()))
            self.exponents.append(exps)
            self.first.append(first)
        # F_n(λ, b) for n = n0 + g t, t < n_terms, grouped by n: one reflection sum per n.
        series = [[0] * n_terms for _ in exit_points]
        wanted: dict = {}
        for e, (n0, first) in enumerate(zip(self.n0, self.first)):
            for t in range(n_terms):
                n = n0 + g * t
                b_full = first + (t if self.kind == "unit" else 0)
                for s in steps.vectors:
                    pred = b_full - s
                    if alcove.is_interior(pred):
                        wanted.setdefault(n, []).append((e, t, tuple(pred.tolist())))
        for n, items in sorted(wanted.items()):
            ends = sorted({p for _, _, p in items})
            counts = dict(zip(ends, count_paths_reflection(alcove, steps, lam, ends, n - 1)))
            for e, t, p in items:
                series[e][t] += counts[p]
        self.psi = []
        for coeffs in series:
            num, den = rational_reconstruction(coeffs, self.m)
            check = _mul(den, [Fraction(c) for c in coeffs])
            if _trim(_sub(check[:n_terms], num)):
                raise ArithmeticError(
                    "reflection series check failed: Ψ_b does not reproduce the counts"
                )
            self.psi.append((num, den))

    # -- the exp family ------------------------------------------------------------------
    def _kappa(self, probs):
        """y = κ s^g: κ = Π p_i (unit) or c = p(+e_1) p(−e_1) (signed, checked)."""
        import sympy

        if self.kind == "unit":
            return sympy.Mul(*probs)
        c = probs[0] * probs[1]
        for i in range(1, len(probs) // 2):
            other = probs[2 * i] * probs[2 * i + 1]
            if sympy.cancel(other - c) != 0:
                raise ArgumentError(
                    "method 'reflection' needs an exp-family policy on signed steps: "
                    f"p(+e_i)·p(−e_i) equal for all i, got {c} for i = 1 and {other} for "
                    f"i = {i + 1}; use method 'linear'"
                )
        return c

    def exit_gf(self, probs, s, *, divide_by_s: bool = False):
        """[G_b(s)] (or G_b(s)/s) as sympy expressions in :func:`primitive_form`."""
        import sympy

        y = self._kappa(probs) * s**self.period
        out = []
        for n0, exps, (num, den) in zip(self.n0, self.exponents, self.psi):
            mono = sympy.Mul(*[p**e for p, e in zip(probs, exps)]) * s ** (n0 - divide_by_s)
            out.append(primitive_form(mono * _horner(num, y) / _horner(den, y)))
        return out

    def expected_steps_gf(self, probs, s):
        """K(s) = E[Σ_{t<T} s^t] = (1 − Σ_b G_b(s)) / (1 − σ s), σ = Σ p_j (s a Symbol)."""
        import sympy

        total = sympy.Add(*self.exit_gf(probs, s))
        return primitive_form((1 - total) / (1 - sympy.Add(*probs) * s))

    def survival(self, probs, n: int):
        """P(T > n) = Σ_x C_n(λ, x) · (the probability of one path from λ to x in n steps)."""
        import sympy

        from pgweyl.weyl.paths import count_paths

        c = self._kappa(probs)
        lam = self.start
        total = []
        for x, count in count_paths(self.alcove, self.steps, lam, None, n).items():
            delta = np.asarray(x, dtype=np.int64) - lam
            if self.kind == "unit":
                w = sympy.Mul(*[p**e for p, e in zip(probs, delta.tolist())])
            else:
                w = c ** ((n - int(np.abs(delta).sum())) // 2)
                for i, v in enumerate(delta.tolist()):
                    w *= probs[2 * i + (v < 0)] ** abs(v)
            total.append(count * w)
        return sympy.expand(sympy.Add(*total))


def _horner(coeffs, y):
    import sympy

    acc = sympy.Integer(0)
    for c in reversed(coeffs):
        acc = acc * y + sympy.Rational(c.numerator, c.denominator)
    return acc


def primitive_form(expr):
    """num/den in lowest terms, integer coefficients of content 1, the denominator's constant
    term positive when it has one (the canonical form of both routes)."""
    import math

    import sympy

    num, den = sympy.fraction(sympy.cancel(sympy.together(expr)))
    gens = sorted(num.free_symbols | den.free_symbols, key=str)
    if not gens:
        return num / den
    pn, pd = sympy.Poly(num, *gens, domain="QQ"), sympy.Poly(den, *gens, domain="QQ")
    coeffs = pn.coeffs() + pd.coeffs()
    scale = sympy.Rational(
        math.lcm(*[int(c.q) for c in coeffs]), math.gcd(*[int(c.p) for c in coeffs])
    )
    c0 = pd.eval(dict.fromkeys(gens, 0)) if pd.total_degree() > 0 else pd.LC()
    if c0 < 0 or (c0 == 0 and pd.LC() < 0):
        scale = -scale
    return (pn * scale).as_expr() / (pd * scale).as_expr()


__all__ = ["ReflectionSeries", "primitive_form", "rational_reconstruction"]
