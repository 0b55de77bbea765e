"""Data: HAM10000 / ISIC 2018 readers, lesion-level splits, preprocessing, synthetic generator."""
