"""How to cite PQPP (used by the dataset card, the dataset info and the metric modules)."""

PQPP_BIBTEX = """\
@inproceedings{Poesina-CVPR-2025,
  title     = {{PQPP}: A Joint Benchmark for Text-to-Image Prompt and Query Performance Prediction},
  author    = {Poesina, Eduard and Costache, Adriana Valentina and Chifu, Adrian-Gabriel and Mothe, Josiane
               and Ionescu, Radu Tudor},
  booktitle = {Proceedings of CVPR},
  year      = {2025}
}"""
