#!/usr/bin/python3
"""The guide's "1. Sequential Processing (Slowest)": one request per movie,
one movie after another, each a fresh `requests.post` to /api/embeddings,
each vector written out as it arrives.

    sequential.py --input movies.jsonl --model nomic-embed-text --out out.jsonl
"""
import json
import os
import sys
import time

import requests

from common import TIMEOUT, host_url, load_movies, movie_text, parser, report


def main():
    args = parser(__doc__).parse_args()
    OLLAMA_HOST = host_url(args.host)
    OLLAMA_EMBEDDING_MODEL = args.model
    movies = load_movies(args.input, args.limit)

    start = time.time()
    embedded = failed = 0
    with open(args.out or os.devnull, "w") as out:
        for movie in movies:
            text = movie_text(movie)
            try:
                response = requests.post(
                    f"{OLLAMA_HOST}/api/embeddings",
                    json={"model": OLLAMA_EMBEDDING_MODEL, "prompt": text},
                    timeout=TIMEOUT,
                )
                embedding = response.json()['embedding']
            except Exception as e:  # the guide's "Error logging": log, go on
                failed += 1
                print(f"movie {movie.get('id')}: {e!r}", file=sys.stderr)
                continue
            out.write(json.dumps({"id": movie.get("id"), "embedding": embedding}) + "\n")
            embedded += 1
    report("sequential", embedded, failed, time.time() - start)


if __name__ == "__main__":
    main()
