#!/usr/bin/python3
"""The guide's "4. Threading (Alternative)": a ThreadPoolExecutor of
--max-workers threads maps generate_embedding over the texts, each call a
fresh `requests.post` to /api/embeddings.

    threadpool.py --input movies.jsonl --max-workers 10 --out out.jsonl
"""
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from common import TIMEOUT, host_url, load_movies, movie_text, parser, report, write_results

OLLAMA_HOST = OLLAMA_EMBEDDING_MODEL = None


def generate_embedding(text):
    try:
        response = requests.post(
            f"{OLLAMA_HOST}/api/embeddings",
            json={"model": OLLAMA_EMBEDDING_MODEL, "prompt": text},
            timeout=TIMEOUT,
        )
        return response.json()['embedding']
    except Exception as e:  # the guide's "Error logging": log, go on
        print(f"{text[:40]!r}: {e!r}", file=sys.stderr)
        return None


def main():
    global OLLAMA_HOST, OLLAMA_EMBEDDING_MODEL
    p = parser(__doc__)
    p.add_argument("--max-workers", type=int, default=10, help="threads")
    args = p.parse_args()
    OLLAMA_HOST, OLLAMA_EMBEDDING_MODEL = host_url(args.host), args.model
    movies = load_movies(args.input, args.limit)
    texts = [movie_text(m) for m in movies]

    start = time.time()
    with ThreadPoolExecutor(max_workers=args.max_workers) as executor:
        embeddings = list(executor.map(generate_embedding, texts))
    results = [{"id": m.get("id"), "embedding": e} for m, e in zip(movies, embeddings) if e is not None]
    write_results(args.out, results)
    report("threadpool", len(results), len(movies) - len(results), time.time() - start)


if __name__ == "__main__":
    main()
