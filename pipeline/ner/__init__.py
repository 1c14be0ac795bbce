"""German NER for NewsLens: corpus readers, training and evaluation.

Nothing heavy is imported here; use ``pipeline.ner.corpora``, ``pipeline.ner.train``
and ``pipeline.ner.evaluate`` directly.
"""

LABELS = ("PER", "ORG", "LOC", "MISC")
HEADLINE_LABELS = ("PER", "ORG", "LOC")
MODEL_DIR = "models/de_newslens_ner"
