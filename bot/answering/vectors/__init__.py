"""Sentence vectors: the MiniLM encoder, the vector cache, and the linear classifier over example
questions. Paraphrases land close together where word overlap misses them."""
