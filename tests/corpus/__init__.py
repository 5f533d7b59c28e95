"""The rendering corpus: cases as code (``corpus_*.py``), written out by ``make_corpus.py``."""
