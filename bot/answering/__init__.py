"""Answering questions: the lexical index, red flags, ranking, the answer-or-abstain model and the
Q&A feature; vectors/ holds the sentence encoder, its cache and the entry classifier."""
