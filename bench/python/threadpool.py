#!/usr/bin/python3
"""The guide's "4. Threading (Alternative)": a ThreadPoolExecutor of
--max-workers threads maps generate_embedding over the texts, each call a
fresh `requests.post` to /api/embeddings.

    threadpool.py --input movies.jsonl --max-workers 10 --out out.jsonl
"""
import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import requests

TIMEOUT = 60  # seconds per request: the guide's "Timeout handling"
OLLAMA_HOST = OLLAMA_EMBEDDING_MODEL = None


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--input", required=True, help="movies, one JSON object per line")
    p.add_argument("--host", default=os.environ.get("OLLAMA_HOST", "http://127.0.0.1:11434"))
    p.add_argument("--model", default="nomic-embed-text")
    p.add_argument("--limit", type=int, default=0, help="embed only the first N movies")
    p.add_argument("--out", help="write {id, embedding} JSON lines here")
    p.add_argument("--max-workers", type=int, default=10, help="threads")
    return p.parse_args()


def load_movies(path, limit):
    with open(path) as f:
        movies = [json.loads(line) for line in f if line.strip()]
    return movies[:limit] if limit else movies


def movie_text(m):
    return f"{m['title']} ({m['year']}). {', '.join(m['genres'])}. {m['summary']}"


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
    args = parse_args()
    OLLAMA_HOST = args.host.rstrip("/") if "://" in args.host else "http://" + args.host.rstrip("/")
    OLLAMA_EMBEDDING_MODEL = args.model
    movies = load_movies(args.input, args.limit)
    texts = [movie_text(m) for m in movies]

    start = time.time()
    with ThreadPoolExecutor(max_workers=args.max_workers) as executor:
        embeddings = list(executor.map(generate_embedding, texts))
    results = [{"id": m.get("id"), "embedding": e} for m, e in zip(movies, embeddings) if e is not None]
    if args.out:
        with open(args.out, "w") as f:
            f.writelines(json.dumps(r) + "\n" for r in results)
    elapsed = time.time() - start

    print("RESULT " + json.dumps({"approach": "threadpool", "embedded": len(results),
                                  "failed": len(movies) - len(results),
                                  "seconds": round(elapsed, 3), "per_second": round(len(results) / elapsed, 2)}))


if __name__ == "__main__":
    main()
