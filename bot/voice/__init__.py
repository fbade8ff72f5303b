"""Voice notes: audio decoding (PyAV), recognition (pocketsphinx with a language model built from the
knowledge), pronunciations.yaml, and the feature that gives the coach its ears."""
