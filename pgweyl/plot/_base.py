"""What every figure module shares: pyplot with Agg when there is no display, the Figure
and Axes to draw on, :func:`save_figure`, and the labels of steps, faces and axes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: Colours of the maxima (and walls) in every figure, in order.
COLORS = ("tab:red", "tab:blue", "tab:green", "tab:purple", "tab:orange", "tab:brown")


def pyplot():
    """pyplot, with the Agg backend when there is no display, and TrueType fonts in PDFs.

    Agg is chosen only when ``DISPLAY`` is empty, pyplot is not loaded yet and no
    ``MPLBACKEND`` is set: switching the backend after pyplot is loaded would close the
    caller's figures (and would break a notebook's inline backend). ``pdf.fonttype`` and
    ``ps.fonttype`` are set to 42 (TrueType, :data:`pgweyl.serialize.TRUETYPE_FONTS`), so
    a pgweyl figure that its user saves with ``fig.savefig("x.pdf")`` embeds no Type 3
    font either; :func:`save_figure` applies them itself whatever the rcParams."""
    import matplotlib

    from pgweyl.serialize import TRUETYPE_FONTS

    if (
        not os.environ.get("DISPLAY")
        and not os.environ.get("MPLBACKEND")
        and "matplotlib.pyplot" not in sys.modules
    ):
        matplotlib.use("Agg")
    matplotlib.rcParams.update(TRUETYPE_FONTS)
    import matplotlib.pyplot as plt

    return plt


def figure_and_axes(ax, **kwargs):
    """(Figure, Axes): a new figure when ``ax`` is None, else ``ax`` and its figure."""
    if ax is None:
        fig, ax = pyplot().subplots(**kwargs)
        return fig, ax
    return ax.figure, ax


def integer_axis(axis) -> None:
    """Ticks at integers only (times, levels): ``axis`` is ``ax.xaxis`` or ``ax.yaxis``."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def save_figure(fig, path) -> tuple[Path, Path]:
    """Write ``fig`` as PNG and PDF; return the two paths (PNG first).

    ``path`` is ``"out/x.png"``, ``"out/x.pdf"`` or ``"out/x"``: each writes
    ``out/x.png`` and ``out/x.pdf`` (another image suffix such as ``.svg`` is refused
    with :class:`ArgumentError`; other dots stay in the name: ``run.v2`` writes
    ``run.v2.png``); the parent folder is created. Both files go through
    :func:`pgweyl.serialize.write_files` as one transaction: rendered first, written
    atomically (symlinks followed, devices written in place), so a failure leaves no
    partial output and raises :class:`pgweyl.serialize.OutputError`; their mode follows
    the umask."""
    from pgweyl.serialize import OutputError, figure_files, figure_paths, write_files

    outputs = figure_paths(path)
    try:
        outputs[0].parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(
            f"cannot create folder {str(outputs[0].parent)!r}: {err.strerror}"
        ) from None
    write_files(figure_files(fig, path), "figure")
    return outputs


# -- labels -------------------------------------------------------------------------------
def support_label(env, support) -> str:
    """A face of conv(S) by its steps, "{e1}" or "{−e1, +e2}" (:meth:`StepSet.labels`);
    without an env by step index, "{s0, s2}"."""
    if env is None:
        return "{" + ", ".join(f"s{int(i)}" for i in support) + "}"
    return "{" + ", ".join(env.steps.labels(support)) + "}"


def y_labels(env, dim: int) -> list[str]:
    """Axis names of the effective coordinates y = Lθ: "y1 = θ1 − θ3" with a gauge,
    "θ1" without one, "y1" when no env is known."""
    if env is not None and env.gauge:
        d = env.theta_dim
        if dim == 1:
            return [f"y = θ1 − θ{d}"]
        return [f"y{i + 1} = θ{i + 1} − θ{d}" for i in range(dim)]
    if env is not None:
        return [f"θ{i + 1}" for i in range(dim)]
    return [f"y{i + 1}" for i in range(dim)] if dim > 1 else ["y"]


def vector_text(v, fmt: str = "{:.2g}") -> str:
    """(0.5, −0.5): a short vector with true minus signs."""
    return "(" + ", ".join(fmt.format(float(x) + 0.0).replace("-", "−") for x in v) + ")"


def policy_text(env, probs) -> str:
    """π(e1) = 0.50, π(e2) = 0.50: a policy over the env's steps."""
    return ", ".join(f"π({s}) = {p:.2f}" for s, p in zip(env.steps.labels(), probs))
