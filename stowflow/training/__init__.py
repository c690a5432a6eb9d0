"""TF1 training-side persistence: Saver, MetaGraph export/import, moving averages."""
