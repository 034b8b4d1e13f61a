"""Where the shared corpus of real outputs lives (../shared/corpus beside the repository)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
LMSTAT = CORPUS / "flexlm" / "lmstat"


def corpus_file(*parts: str) -> Path:
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"corpus file missing: {path} (shared/ must sit beside the repo)")
    return path


def read_corpus(*parts: str) -> str:
    return corpus_file(*parts).read_text(encoding="utf-8")
