"""Item pipelines: cleaning, date parsing, de-duplication and storage of PageItems."""
