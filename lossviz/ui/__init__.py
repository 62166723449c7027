"""Streamlit pages: the only part of lossviz that imports streamlit."""
