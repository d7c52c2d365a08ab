"""Lesson 10's explorer: the toy models past their training context, one scaling method at a time.

A method selector (PI, NTK-aware, YaRN; fixed or dynamic) sits beside the `scaling_factor`
slider: for a fixed method s is its factor at every length, for a dynamic one it is the bracket's
s in a(T) = 1 + s(T/L - 1) (s = 1 gives a = T/L). Left: recall accuracy against length; right:
the language model's loss. Both are the mean over the three training seeds with a 95% interval
from resampling whole sequences (error bars), next to plain RoPE (black).

Evaluating six models at every slider move takes too long on a shared 2-core CPU, so
`python -m rope_course.toy` evaluates the whole grid (6 methods x s = 1, 2, ..., 8 x 6 lengths,
on the explorer's own fixed sequences) once and stores the means and intervals in
`rope_course/toy/results.json`; the lesson re-evaluates grid points live and asserts they match.
`compute` only looks the grid up, so it is exact and fast.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection

from ..functional import dynamic_ntk_base
from . import style
from .base import Explorer, choice_buttons, scaling_factor_slider, seq_len_slider

__all__ = ["ExtrapolationExplorer", "METHOD_BUTTONS", "grid_index"]

METHOD_BUTTONS = (("PI fixed", "pi_fixed"), ("PI dynamic", "pi_dynamic"), ("NTK fixed", "ntk_fixed"),
                  ("NTK dynamic", "ntk_dynamic"), ("YaRN fixed", "yarn_fixed"), ("YaRN dynamic", "yarn_dynamic"))
SELECTED = style.SKY_BLUE
LENGTH_TICKS = (128, 256, 512, 1024)      # every length is plotted; 384 and 768 unlabelled (no overlap)


def _legend_room(fig, entries, ncols):
    """Figure fraction to keep free at the bottom for a legend of `entries` in `ncols` columns."""
    rows = -(-entries // ncols)
    return (rows * 24 + 8) / (fig.get_figheight() * fig.dpi)


def _results():
    from ..toy.results import load_results

    return load_results()


def grid_index(scaling_factor: float, factors) -> int:
    """Index of the grid factor nearest to `scaling_factor` (the slider steps on the grid)."""
    return int(np.argmin([abs(f - scaling_factor) for f in factors]))


def _segments(lengths, lows, highs):
    return [[(x, lo), (x, hi)] for x, lo, hi in zip(lengths, lows, highs)]


class ExtrapolationExplorer(Explorer):
    name = "extrapolation"
    figsize = style.figsize(3.8)

    def make_controls(self):
        meta = _results()["meta"]
        return {
            "method": choice_buttons("method", "ntk_dynamic", METHOD_BUTTONS),
            "scaling_factor": scaling_factor_slider(1.0, lo=min(meta["explorer_factors"]),
                                                    hi=max(meta["explorer_factors"]), step=1.0),
            "seq_len": seq_len_slider(1024, options=meta["lengths"]),
        }

    @staticmethod
    def compute(method, scaling_factor, seq_len):
        results = _results()
        meta = results["meta"]
        if method not in meta["explorer_methods"]:
            raise ValueError(f"method must be one of {meta['explorer_methods']}, got {method!r}")
        lengths = meta["lengths"]
        if seq_len not in lengths:
            raise ValueError(f"seq_len must be one of the evaluated lengths {lengths}, got {seq_len!r}")
        i = grid_index(scaling_factor, meta["explorer_factors"])
        j = lengths.index(seq_len)
        s = float(meta["explorer_factors"][i])
        recall = results["tasks"]["recall"]["explorer_summary"]
        language = results["tasks"]["language"]["explorer_summary"]
        model = results["tasks"]["recall"]["training"][0]["model_config"]
        L, D, b = model["max_position_embeddings"], model["d_model"] // model["n_heads"], model["rope_base"]
        dynamic = method.endswith("dynamic")
        factor_at = (1.0 + s * (seq_len / L - 1)) if (dynamic and seq_len > L) else (1.0 if dynamic else s)
        out = {"lengths": np.asarray(lengths), "L": L, "method": method, "scaling_factor": s, "seq_len": int(seq_len),
               "factor_at": float(factor_at),
               "ntk_base_at": float(dynamic_ntk_base(b, D, int(seq_len), L, s)) if method == "ntk_dynamic" else None}
        for key, table in (("acc", recall), ("loss", language)):
            rows = np.asarray(table[method][i])               # (len(lengths), 3): mean, low, high
            none = np.asarray(table["none"][0])
            out[key], out[key + "_lo"], out[key + "_hi"] = rows[:, 0], rows[:, 1], rows[:, 2]
            out["none_" + key] = none[:, 0]
            out["none_" + key + "_lo"], out["none_" + key + "_hi"] = none[:, 1], none[:, 2]
            out[key + "_at"] = tuple(float(v) for v in rows[j])
            out["none_" + key + "_at"] = float(none[j, 0])
        return out

    @staticmethod
    def readout_values(result):
        acc, loss = result["acc_at"], result["loss_at"]
        return {
            "method": result["method"],
            "scaling_factor": result["scaling_factor"],
            "seq_len": result["seq_len"],
            "factor at seq_len": result["factor_at"],
            "recall accuracy": acc[0],
            "accuracy 95% low": acc[1],
            "accuracy 95% high": acc[2],
            "language loss": loss[0],
            "loss 95% low": loss[1],
            "loss 95% high": loss[2],
            "no scaling: accuracy": result["none_acc_at"],
            "no scaling: loss": result["none_loss_at"],
        }

    @staticmethod
    def _title(result):
        acc, loss = result["acc_at"], result["loss_at"]
        return (f"{result['method']}, s = {result['scaling_factor']:g}, seq_len = {result['seq_len']}: "
                f"accuracy {acc[0]:.3f} [{acc[1]:.3f}, {acc[2]:.3f}], "
                f"loss {loss[0]:.3f} [{loss[1]:.3f}, {loss[2]:.3f}]")

    def draw(self, fig, result):
        x = result["lengths"]
        self.axes = fig.subplots(1, 2)
        self.curves, self.bars, self.markers = {}, {}, {}
        panels = ((self.axes[0], "acc", "recall accuracy"), (self.axes[1], "loss", "language loss (nats)"))
        for ax, key, ylabel in panels:
            ax.plot(x, result["none_" + key], color=style.PLAIN, marker="o", ls="-", label="no scaling")
            none_bars = _segments(x, result["none_" + key + "_lo"], result["none_" + key + "_hi"])
            ax.add_collection(LineCollection(none_bars, colors=style.PLAIN, linewidths=1.5,
                                             label="no scaling: 95% interval"))
            # one colour for the selected method (its name is in the title): the legend stays true
            # for every choice. Animated artists sit above every static one, so the fast redraw
            # paints in the same order as a full draw.
            (self.curves[key],) = ax.plot(x, result[key], color=SELECTED, marker="s", ls="--", zorder=3,
                                          label="selected method")
            self.bars[key] = LineCollection(_segments(x, result[key + "_lo"], result[key + "_hi"]),
                                            colors=SELECTED, linewidths=2.5, zorder=2.5,
                                            label="selected: 95% interval")
            ax.add_collection(self.bars[key])
            (self.markers[key],) = ax.plot([result["seq_len"]], [result[key + "_at"][0]], "o", ms=13, mfc="none",
                                           mec=style.BEYOND, mew=2, zorder=4, label="seq_len")
            ax.axvline(result["L"], color=style.REFERENCE, ls=":", lw=1.5, label=f"trained L = {result['L']}")
            ax.set_xscale("log", base=2)
            style.plain_ticks(ax.xaxis, LENGTH_TICKS)
            ax.set_xlabel("evaluation length T")
            ax.set_ylabel(ylabel)
        self.axes[0].set_ylim(0, 1.02)
        # the language axis spans every point of the grid (linear, not from 0: the differences are
        # tenths of a nat), so no method or s can leave the picture
        language = np.concatenate([np.asarray(rows).reshape(-1, 3)
                                   for rows in _results()["tasks"]["language"]["explorer_summary"].values()])
        self.axes[1].set_ylim(float(language[:, 1].min()) - 0.05, float(language[:, 2].max()) + 0.05)
        style.legend_below(fig, self.axes[1], ncols=3)
        self.title = style.readout_title(fig, self._title(result))
        fig.tight_layout(rect=(0, _legend_room(fig, 6, 3), 1, 0.93))
        self.animate(*self.curves.values(), *self.bars.values(), *self.markers.values(), self.title)

    def redraw(self, result):
        for key in ("acc", "loss"):
            self.curves[key].set_ydata(result[key])
            self.bars[key].set_segments(_segments(result["lengths"], result[key + "_lo"], result[key + "_hi"]))
            self.markers[key].set_data([result["seq_len"]], [result[key + "_at"][0]])
        self.title.set_text(self._title(result))


# --- the lesson's static figures: every plot of lesson 10 is drawn here, in the shared style ---------

METHOD_STYLE = {
    "none": (style.PLAIN, "o", "-"),
    "pi_fixed": (style.PI, "s", "--"), "pi_dynamic": (style.PI, "s", "-"),
    "ntk_fixed": (style.NTK_AWARE, "^", "--"), "ntk_dynamic": (style.DYNAMIC, "^", "-"),
    "yarn_fixed": (style.YARN, "D", "--"), "yarn_dynamic": (style.YARN, "D", "-"),
    "ntk_smin": (style.SKY_BLUE, "v", "-."), "deepseek_class": (style.BEYOND, "x", ":"),
    "yarn_v3beta_fixed": (style.GREY, "P", "--"), "yarn_v3beta_dynamic": (style.GREY, "P", "-"),
}


def _errorbars(ax, x, rows, method, label):
    """One method's (value, low, high) rows at x, as a line with 95% error bars."""
    color, marker, ls = METHOD_STYLE[method]
    rows = np.asarray(rows, dtype=float)
    ax.errorbar(x, rows[:, 0], yerr=[rows[:, 0] - rows[:, 1], rows[:, 2] - rows[:, 0]], color=color, marker=marker,
                ls=ls, capsize=3, lw=1.8, ms=5, label=label)


def _panels(panels, xs, ticks, tick_labels, xlabel, ylabel, labels, ylim, height, log_x=False, vline=None):
    """Side-by-side panels of per-method (value, low, high) rows with 95% error bars; rows of one panel
    are nudged apart along x so that no bar hides another."""
    from matplotlib.figure import Figure

    with style.context():
        fig = Figure(figsize=style.figsize(height), dpi=style.DPI)
        axes = fig.subplots(1, len(panels), sharey=True, squeeze=False)[0]
        for ax, (title, curves) in zip(axes, panels):
            n = len(curves)
            for k, (method, rows) in enumerate(curves.items()):
                nudge = k - (n - 1) / 2
                x = np.asarray(xs, dtype=float) * 2 ** (0.03 * nudge) if log_x else np.asarray(xs) + 0.06 * nudge
                _errorbars(ax, x, rows, method, labels[method])
            if vline is not None:
                ax.axvline(vline, color=style.REFERENCE, ls=":", lw=1.5)
            if log_x:
                ax.set_xscale("log", base=2)
            style.plain_ticks(ax.xaxis, list(ticks), list(tick_labels))
            ax.set_xlabel(xlabel)
            ax.set_title(title, loc="left")
            if ylim is not None:
                ax.set_ylim(*ylim)
        axes[0].set_ylabel(ylabel)
        _shared_legend(fig, axes)
    return fig


def _shared_legend(fig, axes, ncols=3):
    """One legend below all panels with every labelled artist once (outside the data area)."""
    entries = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    ncols = min(ncols, len(entries))
    fig.legend(list(entries.values()), list(entries), loc="lower center", ncols=ncols, bbox_to_anchor=(0.5, 0.0),
               borderaxespad=0.3, columnspacing=2.0)
    fig.tight_layout(rect=(0, _legend_room(fig, len(entries), ncols), 1, 1))


def length_figure(panels, lengths, L, ylabel, labels, ylim=None, height=3.8):
    """Panels of value-against-length curves. `panels`: [(title, {method: [(v, lo, hi) per length]})]."""
    return _panels(panels, lengths, LENGTH_TICKS, [str(T) for T in LENGTH_TICKS], "evaluation length T (dotted: L)",
                   ylabel, labels, ylim, height, log_x=True, vline=L)


def bins_figure(panels, bin_labels, ylabel, labels, ylim=None, height=3.8, xlabel="distance back to the answer"):
    """Panels of value-per-bin curves (distance or position bins), same layout as `length_figure`."""
    x = np.arange(len(bin_labels), dtype=float)
    return _panels(panels, x, x, bin_labels, xlabel, ylabel, labels, ylim, height)


def sweep_figure(panels, ylabel, height=3.8, ncols=2):
    """Panels of a dynamic-NTK s sweep: [(title, factors, pooled rows, [per-seed values], s_min, (best, lo, hi))],
    `ncols` per row."""
    from matplotlib.figure import Figure

    with style.context():
        nrows = -(-len(panels) // ncols)
        fig = Figure(figsize=style.figsize(height * nrows), dpi=style.DPI)
        axes = fig.subplots(nrows, min(ncols, len(panels)), squeeze=False).ravel()
        for ax, (title, factors, rows, seeds, smin, best) in zip(axes, panels):
            rows = np.asarray(rows, dtype=float)
            # at least a grid step wide, so an interval of one grid point stays visible
            ax.axvspan(best[1] - 0.1, best[2] + 0.1, color=style.BAND, label="measured best s, 95% interval")
            for k, values in enumerate(seeds):
                ax.plot(factors, values, color=style.SKY_BLUE, lw=1, ls="-", label="each seed" if k == 0 else None)
            ax.errorbar(factors, rows[:, 0], yerr=[rows[:, 0] - rows[:, 1], rows[:, 2] - rows[:, 0]],
                        color=style.DYNAMIC, marker="o", ms=4, capsize=2, lw=1.8, label="3 seeds pooled (95% bars)")
            ax.axvline(smin, color=style.BEYOND, ls="--", lw=1.8, label="s_min prediction")
            ax.set_xlabel("dynamic NTK class factor s")
            ax.set_title(title, loc="left")
        axes[0].set_ylabel(ylabel)
        _shared_legend(fig, axes)
    return fig


def picture(fig):
    """A static figure as the notebook shows it: a PNG rendered here (no pyplot, no backend)."""
    import io

    from IPython.display import Image
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = io.BytesIO()
    with style.context():
        FigureCanvasAgg(fig).print_png(buffer)
    return Image(data=buffer.getvalue(), format="png")
