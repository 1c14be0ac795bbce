"""Translation controls (sidebar) and the translation status line above the article."""

from __future__ import annotations

import os
from dataclasses import dataclass

import streamlit as st

from components.html import md_escape
from pipeline.model import Analysis

REFERENCE_LABEL = "Reference (bundled sample only, offline)"
DEFAULT_LIBRE_URL = "http://localhost:5000"


@dataclass(frozen=True)
class TranslationRequest:
    provider: str
    url: str | None = None
    api_key: str | None = None


def provider_labels() -> dict[str, str]:
    """Provider name -> label, from pipeline/data/translations/providers.json."""
    from pipeline.translate import REFERENCE, provider_names, providers

    table = providers()
    return {
        name: REFERENCE_LABEL if name == REFERENCE else table[name].label
        for name in provider_names()
    }


def deepl_key() -> str | None:
    """The DeepL key from ``.streamlit/secrets.toml`` or the environment (``DEEPL_API_KEY``)."""
    try:
        key = st.secrets.get("DEEPL_API_KEY")
    except FileNotFoundError:  # no secrets file (StreamlitSecretNotFoundError subclasses it)
        key = None
    return key or os.environ.get("DEEPL_API_KEY") or None


def render_translation_controls(analysis: Analysis | None) -> TranslationRequest | None:
    """Provider picker and button; returns a request when the user pressed Translate."""
    st.subheader("Translation")
    provider = st.selectbox(
        "Provider", list(provider_labels()), format_func=provider_labels().get, key="nl_provider"
    )
    url = None
    if provider == "libre":
        url = st.text_input("LibreTranslate URL", value=DEFAULT_LIBRE_URL, key="nl_libre_url")
    key = deepl_key() if provider == "deepl" else None
    if provider == "deepl" and not key:
        st.caption(
            "No DEEPL_API_KEY in .streamlit/secrets.toml or the environment; "
            "DeepL will refuse the request."
        )
    pressed = st.button(
        "Translate to English",
        key="nl_translate",
        disabled=analysis is None,
        width="stretch",
    )
    return TranslationRequest(provider, url, key) if pressed else None


def render_translation_status(analysis: Analysis) -> None:
    """One plain line on the translation state; the page keeps working either way."""
    translation = analysis.translation
    if translation is None:
        st.caption(
            "No translation yet: choose a provider in the sidebar and press *Translate to English*."
        )
        return
    name = md_escape(translation.label or translation.provider)
    if translation.error:
        st.warning(
            f"Translation via {name} is unavailable: {md_escape(translation.error)} "
            "The analysis is unaffected; try another provider.",
            icon="🌐",
        )
    elif translation.partial:
        missing = sum(1 for p in translation.sentences if p.target is None)
        st.caption(f"English by {name}: {missing} sentence(s) could not be translated.")
    else:
        st.caption(f"English by {name}: {len(translation.sentences)} sentences.")
