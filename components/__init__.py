"""The explorer page's views: each module draws analysis objects and does no NLP.

Views share two bits of page state through ``st.session_state``:

- ``FOCUS``: what the article view highlights (an entity's mentions, one quote, one
  company's mentions) as ``{"doc", "kind", "name", "spans"}``;
- ``COMPANY_FILTER``: ``{"doc", "name"}`` of the company picked in the competitors panel,
  which filters the quotes panel.

Both are bound to a document id so switching articles never applies stale spans.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

FOCUS = "nl_focus"
COMPANY_FILTER = "nl_company"


def set_focus(doc_id: str, kind: str, name: str, spans) -> None:
    st.session_state[FOCUS] = {
        "doc": doc_id,
        "kind": kind,
        "name": name,
        "spans": [(int(s), int(e)) for s, e in spans],
    }


def get_focus(doc_id: str) -> dict[str, Any] | None:
    focus = st.session_state.get(FOCUS)
    return focus if focus and focus.get("doc") == doc_id else None


def clear_focus() -> None:
    st.session_state.pop(FOCUS, None)


def set_company(doc_id: str, name: str | None) -> None:
    if name:
        st.session_state[COMPANY_FILTER] = {"doc": doc_id, "name": name}
    else:
        st.session_state.pop(COMPANY_FILTER, None)


def get_company(doc_id: str) -> str | None:
    company = st.session_state.get(COMPANY_FILTER)
    return company["name"] if company and company.get("doc") == doc_id else None


def selection_changed(key: str, value) -> bool:
    """Whether a widget's selection differs from the one seen on the previous run.

    Views read selections from widget return values (so the page also works under
    AppTest) and act only on a change: an unchanged row selection must not override a
    later "show in article" click.
    """
    seen_key = f"{key}__seen"
    changed = st.session_state.get(seen_key, []) != value
    st.session_state[seen_key] = value
    return changed


def clear_focus_of(doc_id: str, kind: str) -> None:
    """Clear the focus only if it is of this kind (a deselected row clears its own)."""
    focus = get_focus(doc_id)
    if focus and focus["kind"] == kind:
        clear_focus()


_ALTAIR_DEFAULT_VIEW = {"continuousWidth": 300, "continuousHeight": 300}


@st.cache_data(show_spinner=False, max_entries=512)
def chart_spec(builder: str, frame) -> dict[str, Any]:
    """The Vega-Lite spec of ``components.charts.<builder>(frame)``, cached by the frame.

    Altair validates the spec against its JSON schema on every ``to_dict`` (~0.14 s per
    chart here); caching keeps reruns (clicks, toggles) fast.
    """
    from components import charts

    spec = getattr(charts, builder)(frame).to_dict()
    config = spec.get("config", {})
    if config.get("view") == _ALTAIR_DEFAULT_VIEW:  # Altair's default theme, not ours
        config.pop("view")
        if not config:
            spec.pop("config")
    return spec


def draw_chart(builder: str, frame, *, key: str | None = None):
    """Draw a chart from ``components.charts``; with a ``key`` its clicks rerun the page
    and the selection state is returned."""
    spec = chart_spec(builder, frame)
    if key is None:
        st.vega_lite_chart(spec=spec, width="stretch")
        return None
    return st.vega_lite_chart(spec=spec, key=key, on_select="rerun", width="stretch")
