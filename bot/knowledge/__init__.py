"""The coach's YAML (data/, shipped inside the package) and the code that reads it: line-numbered
loading, typed schemas, file:line validation, the knowledge base of entries, sources and texts."""
