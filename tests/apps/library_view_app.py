"""A tiny page around the library view, for AppTest (no dependency on app.py).

The library path comes from NEWSLENS_TEST_LIBRARY; "opening" an article records its id and
title in the session, as the real page would load it into the workspace.
"""

import os

import streamlit as st

from components.library import cached_library, render_library

library = cached_library(os.environ["NEWSLENS_TEST_LIBRARY"])


def open_in_workspace(analysis) -> None:
    st.session_state["opened"] = analysis.doc_id
    st.session_state["opened_entities"] = len(analysis.canonical_entities)


render_library(library, open_in_workspace)
if "opened" in st.session_state:
    st.text(f"workspace: {st.session_state['opened']}")

if os.environ.get("NEWSLENS_TEST_SAVE_TEXT"):
    from components.library import render_save_button
    from pipeline import analyze

    render_save_button(library, analyze(os.environ["NEWSLENS_TEST_SAVE_TEXT"]))
