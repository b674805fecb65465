"""Put the cursor in the chat box when the page loads, so a user can type at once.

Streamlit's chat input has no autofocus option. A zero-height component runs one constant
script (no bank or user text goes into it) that focuses the chat box of the page it is
embedded in, once per browser session: later reruns must not steal focus from other widgets.
"""

from __future__ import annotations

import streamlit as st

_SCRIPT = """<script>
const page = window.parent.document;
const focus = () => {
  const box = page.querySelector('textarea[data-testid="stChatInputTextArea"]');
  if (box) { box.focus(); return true; }
  return false;
};
if (!focus()) {
  const watch = new MutationObserver(() => { if (focus()) watch.disconnect(); });
  watch.observe(page.body, {childList: true, subtree: true});
  setTimeout(() => watch.disconnect(), 10000);
}
</script>"""


def focus_chat_once() -> None:
    if st.session_state.get("chat_focused"):
        return
    st.session_state["chat_focused"] = True
    import streamlit.components.v1 as components

    components.html(_SCRIPT, height=0)
