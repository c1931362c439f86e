"""What ``%kfp`` shows: HTML tables in a notebook, aligned plain text anywhere else.

Each view is a small object with ``_repr_html_`` and ``__repr__``; IPython's display picks
the richest form the front end understands (a terminal or papermill log gets the text).
Problems render with the same fields as the panel: message, fix, and YAML to apply.
"""

from __future__ import annotations

from html import escape
from typing import Any, Iterable, Mapping, Sequence

from ..i18n import trans


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return trans.__("yes") if value else trans.__("no")
    return str(value)


class Table:
    """Rows (mappings) under chosen columns ``[(key, title), ...]``."""

    def __init__(self, columns: Sequence[tuple[str, str]], rows: Iterable[Mapping[str, Any]], *,
                 title: str = "", note: str = "", empty: str = "",
                 links: Mapping[str, str] | None = None) -> None:
        self.columns = list(columns)
        self.rows = [dict(row) for row in rows]
        self.title = title
        self.note = note
        self.empty = empty or trans.__("Nothing to show.")
        #: column key -> row key holding a URL: that column's cells link there (HTML only)
        self.links = dict(links or {})

    def _html_cell(self, row: Mapping[str, Any], key: str) -> str:
        text = escape(_cell(row.get(key)))
        url = row.get(self.links[key]) if key in self.links else None
        if url:
            return (f"<a href='{escape(str(url), quote=True)}' target='_blank' "
                    f"rel='noopener noreferrer'>{text}</a>")
        return text

    def _repr_html_(self) -> str:
        parts = []
        if self.title:
            parts.append(f"<p><strong>{escape(self.title)}</strong></p>")
        if self.rows:
            head = "".join(f"<th style='text-align:left'>{escape(t)}</th>" for _, t in self.columns)
            body = "".join(
                "<tr>" + "".join(
                    f"<td style='text-align:left'>{self._html_cell(row, k)}</td>"
                    for k, _ in self.columns
                ) + "</tr>"
                for row in self.rows
            )
            parts.append(f"<table class='jp-kfp-table'><thead><tr>{head}</tr></thead>"
                         f"<tbody>{body}</tbody></table>")
        else:
            parts.append(f"<p>{escape(self.empty)}</p>")
        if self.note:
            parts.append(f"<p><em>{escape(self.note)}</em></p>")
        return "".join(parts)

    def __repr__(self) -> str:
        lines = [self.title] if self.title else []
        if not self.rows:
            lines.append(self.empty)
        else:
            cells = [[t for _, t in self.columns]] + [
                [_cell(row.get(k)) for k, _ in self.columns] for row in self.rows
            ]
            widths = [max(len(r[i]) for r in cells) for i in range(len(self.columns))]
            for n, r in enumerate(cells):
                lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
                if n == 0:
                    lines.append("  ".join("-" * w for w in widths))
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)


class Fields(Table):
    """One record as a two-column table (``%kfp status``)."""

    def __init__(self, fields: Iterable[tuple[str, Any]], *, title: str = "", note: str = "") -> None:
        super().__init__([("field", trans.__("field")), ("value", trans.__("value"))],
                         ({"field": k, "value": v} for k, v in fields), title=title, note=note)


class Link:
    """A link that opens in a new tab (``%kfp open``, run and upload results)."""

    def __init__(self, url: str, text: str = "", *, before: str = "") -> None:
        self.url = url
        self.text = text or url
        self.before = before

    def _repr_html_(self) -> str:
        before = f"{escape(self.before)} " if self.before else ""
        return (f"<p>{before}<a href='{escape(self.url, quote=True)}' target='_blank' "
                f"rel='noopener noreferrer'>{escape(self.text)}</a></p>")

    def __repr__(self) -> str:
        before = f"{self.before} " if self.before else ""
        return f"{before}{self.text}: {self.url}" if self.text != self.url else f"{before}{self.url}"


class ProblemView:
    """A diagnosed failure, laid out like the panel's error box."""

    def __init__(self, problem: Mapping[str, Any]) -> None:
        self.problem = dict(problem)

    def _repr_html_(self) -> str:
        p = self.problem
        parts = [
            "<div class='jp-kfp-problem' style='border-left:3px solid "
            "var(--jp-error-color1,#d32f2f);padding:4px 8px'>",
            f"<p><strong>{escape(str(p.get('message', '')))}</strong> "
            f"<code>{escape(str(p.get('code', '')))}</code></p>",
        ]
        if p.get("fix"):
            parts.append(f"<p>{escape(trans.__('Fix: {fix}', fix=p['fix']))}</p>")
        if p.get("yaml"):
            parts.append(f"<pre>{escape(str(p['yaml']))}</pre>")
        parts.append("</div>")
        return "".join(parts)

    def __repr__(self) -> str:
        p = self.problem
        lines = [f"{p.get('message', '')} [{p.get('code', '')}]"]
        if p.get("fix"):
            lines.append(trans.__("Fix: {fix}", fix=p["fix"]))
        if p.get("yaml"):
            lines.append(str(p["yaml"]).rstrip())
        return "\n".join(lines)


#: Colours of run and task states (JupyterLab's variables, with fallbacks outside Lab).
_STATE_COLOURS = {
    "SUCCEEDED": "var(--jp-success-color1,#388e3c)", "FAILED": "var(--jp-error-color1,#d32f2f)",
    "RUNNING": "var(--jp-brand-color1,#1976d2)", "CANCELING": "var(--jp-warn-color1,#f57c00)",
    "CANCELED": "var(--jp-warn-color1,#f57c00)",
}


def _badge(state: str) -> str:
    colour = _STATE_COLOURS.get(state, "var(--jp-ui-font-color2,#757575)")
    return f"<strong style='color:{colour}'>{escape(state)}</strong>"


class RunStatus:
    """A run's state and its tasks' states, for ``%kfp run --wait`` (updated in place)."""

    def __init__(self, run: Mapping[str, Any], *, elapsed: float | None = None, note: str = "") -> None:
        self.run = dict(run)
        self.elapsed = elapsed
        self.note = note

    def _tasks(self) -> list[dict[str, Any]]:
        """The spec's tasks in order with their states (the DAG), else the reported tasks."""
        nodes = (self.run.get("dag") or {}).get("nodes") or []
        if nodes:
            return [{"name": n.get("label") or n.get("id"), "state": n.get("state", "")} for n in nodes]
        return [{"name": t.get("display_name"), "state": t.get("state", "")} for t in self.run.get("tasks") or []]

    def _summary(self) -> str:
        r = self.run
        if self.elapsed is None:
            return trans.__("Run {run}: {state}", run=r.get("display_name", ""),
                            state=r.get("state", ""))
        return trans.__("Run {run}: {state} after {seconds} s", run=r.get("display_name", ""),
                        state=r.get("state", ""), seconds=format(self.elapsed, ".0f"))

    def _repr_html_(self) -> str:
        r = self.run
        took = (" <em>" + escape(trans.__("({seconds} s)", seconds=format(self.elapsed, ".0f")))
                + "</em>") if self.elapsed is not None else ""
        label = escape(trans.__("Run {run}:", run="\0")).replace(
            "\0", f"<strong>{escape(str(r.get('display_name', '')))}</strong>")
        parts = [f"<p>{label} {_badge(str(r.get('state', '')))}{took}</p>"]
        tasks = self._tasks()
        if tasks:
            rows = "".join(f"<tr><td style='text-align:left'>{escape(str(t['name']))}</td>"
                           f"<td style='text-align:left'>{_badge(str(t['state']))}</td></tr>" for t in tasks)
            parts.append("<table class='jp-kfp-table'><thead><tr><th style='text-align:left'>"
                         f"{escape(trans.__('task'))}</th><th style='text-align:left'>"
                         f"{escape(trans.__('state'))}</th></tr></thead><tbody>{rows}</tbody></table>")
        if r.get("error_message"):
            parts.append(f"<p>{escape(str(r['error_message']))}</p>")
        if r.get("ui_url"):
            parts.append(f"<p><a href='{escape(str(r['ui_url']), quote=True)}' target='_blank' "
                         f"rel='noopener noreferrer'>{escape(trans.__('Open the run in the KFP UI'))}"
                         "</a></p>")
        if self.note:
            parts.append(f"<p><em>{escape(self.note)}</em></p>")
        return "".join(parts)

    def __repr__(self) -> str:
        lines = [self._summary()]
        lines += [f"  {t['name']}: {t['state']}" for t in self._tasks()]
        if self.run.get("error_message"):
            lines.append(str(self.run["error_message"]))
        if self.run.get("ui_url"):
            lines.append(trans.__("KFP UI: {url}", url=self.run["ui_url"]))
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)


def show(*views: Any) -> None:
    """Display each view (rich where possible)."""
    from IPython.display import display

    display(*views)
