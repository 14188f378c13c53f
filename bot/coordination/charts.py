"""A PNG chart of readiness by town (city scope) or by village (town scope), drawn with matplotlib (Agg).

Chinese labels need a CJK font. The chart uses $SHUXI_CJK_FONT (a .ttf/.otf/.ttc file) if set, else the first
installed font of a known CJK family (Noto Sans CJK, Source Han Sans, WenQuanYi, SimHei, Microsoft YaHei, …).
With none installed it still draws the chart, with labels in pinyin, and says so in :attr:`Chart.note`.
"""

from __future__ import annotations

import io
import os
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from pypinyin import lazy_pinyin

from bot.coordination.reports import Report

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Noto Serif CJK SC", "Source Han Sans SC", "Source Han Sans CN",
                "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC",
                "Heiti SC", "STHeiti", "AR PL UMing CN", "AR PL UKai CN", "Droid Sans Fallback", "Noto Sans CJK JP")


@dataclass(frozen=True)
class Chart:
    """A rendered chart: ``png`` bytes, ``caption`` (Chinese), ``note`` (set when labels fell back to pinyin)."""

    png: bytes
    caption: str
    note: str | None = None


def find_cjk_font() -> str | None:
    """Return the path of a font that can draw Chinese, or None. Looks at $SHUXI_CJK_FONT first."""
    from matplotlib import font_manager

    path = os.environ.get("SHUXI_CJK_FONT")
    if path and os.path.isfile(path):
        return path
    by_name = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in by_name:
            return by_name[family]
    return None


def _pinyin(text: str) -> str:
    # Without a CJK font only Latin glyphs exist: transliterate, fold full-width punctuation, drop the rest.
    latin = unicodedata.normalize("NFKC", " ".join(lazy_pinyin(text)).title())
    return "".join(c if ord(c) < 0x250 else "?" for c in latin)


def readiness_chart(report: Report) -> Chart:
    """Draw ready / started-but-not-ready / never-started counts per town (city scope) or village (town scope).

    Returns:
        the chart; with no people in scope, a chart saying so.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    by_town = report.scope.town is None
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for p in report.people:
        key = p.town if by_town else p.village
        groups[key][0 if p.verdict.ready else (1 if p.started else 2)] += 1
    names = sorted(groups, key=lambda k: (-(groups[k][1] + groups[k][2]), k))[:40]
    font_path = find_cjk_font()
    note = None
    if font_path:
        font_manager.fontManager.addfont(font_path)
        prop = font_manager.FontProperties(fname=font_path)
        label = str
    else:
        prop = font_manager.FontProperties()
        label = _pinyin
        note = "服务器上没有中文字体，图中名称以拼音显示（安装 fonts-wqy-microhei 或 fonts-noto-cjk，或设置 SHUXI_CJK_FONT 后显示中文）。"
    legend = [label("合格"), label("已开始未合格"), label("未开始")]
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.45 * len(names) + 1.5)), dpi=110)
    try:
        y = list(range(len(names)))[::-1]
        left = [0] * len(names)
        for i, (colour, text) in enumerate(zip(("#2e7d32", "#f9a825", "#9e9e9e"), legend)):
            values = [groups[n][i] for n in names]
            ax.barh(y, values, left=left, color=colour, label=text)
            left = [a + b for a, b in zip(left, values)]
        ax.set_yticks(y)
        ax.set_yticklabels([label(n) for n in names], fontproperties=prop)
        where = "各镇" if by_town else "各村/单位"
        ax.set_title(label(f"{report.scope.label}{where}备考情况（{report.today.isoformat()}）"), fontproperties=prop,
                     pad=30)
        ax.set_xlabel(label("人数"), fontproperties=prop)
        ax.xaxis.get_major_locator().set_params(integer=True)
        if names:
            # Above the plot, in one row: inside it would cover the longest bars.
            ax.legend(prop=prop, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
        else:
            ax.text(0.5, 0.5, label("本范围内没有人员"), ha="center", va="center", transform=ax.transAxes,
                    fontproperties=prop)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    finally:
        plt.close(fig)
    caption = f"{report.scope.label}{'各镇' if by_town else '各村'}备考情况：绿色合格，黄色已开始未合格，灰色未开始。{report.countdown()}"
    return Chart(buf.getvalue(), caption + (f"\n{note}" if note else ""), note)
