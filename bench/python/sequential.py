#!/usr/bin/python3
"""The guide's "1. Sequential Processing (Slowest)": one request per movie,
one movie after another, each a fresh `requests.post` to /api/embeddings,
each vector written out as it arrives.

    sequential.py --input movies.jsonl --model nomic-embed-text --out out.jsonl
"""
import argparse
import json
import os
import sys
import time

import requests

TIMEOUT = 60  # seconds per request: the guide's "Timeout handling"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--input", required=True, help="movies, one JSON object per line")
    p.add_argument("--host", default=os.environ.get("OLLAMA_HOST", "http://127.0.0.1:11434"))
    p.add_argument("--model", default="nomic-embed-text")
    p.add_argument("--limit", type=int, default=0, help="embed only the first N movies")
    p.add_argument("--out", help="write {id, embedding} JSON lines here")
    return p.parse_args()


def load_movies(path, limit):
    with open(path) as f:
        movies = [json.loads(line) for line in f if line.strip()]
    return movies[:limit] if limit else movies


def movie_text(m):
    return f"{m['title']} ({m['year']}). {', '.join(m['genres'])}. {m['summary']}"


def main():
    args = parse_args()
    OLLAMA_HOST = args.host.rstrip("/") if "://" in args.host else "http://" + args.host.rstrip("/")
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
    elapsed = time.time() - start

    print("RESULT " + json.dumps({"approach": "sequential", "embedded": embedded, "failed": failed,
                                  "seconds": round(elapsed, 3), "per_second": round(embedded / elapsed, 2)}))


if __name__ == "__main__":
    main()
