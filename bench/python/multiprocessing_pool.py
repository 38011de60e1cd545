#!/usr/bin/python3
"""The guide's "2. Multiprocessing (Current Implementation)", the
generate_embeddings.py it describes: the movies are cut into chunks of
--batch-size, a Pool of --workers processes maps process_batch over the
chunks, and each process posts its chunk's movies one at a time to
/api/embeddings with `requests`.

    multiprocessing_pool.py --input movies.jsonl --workers 10 --batch-size 100 --out out.jsonl

Note the guide's CLI defaults: 400 movies in chunks of 100 keep only 4 of
the 10 processes busy. The guide's own sizing advice is
--batch-size = movies // (workers * 2).
"""
import argparse
import json
import os
import sys
import time
from multiprocessing import Pool

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
    p.add_argument("--workers", type=int, default=10, help="processes")
    p.add_argument("--batch-size", type=int, default=100, help="movies per process chunk")
    return p.parse_args()


def load_movies(path, limit):
    with open(path) as f:
        movies = [json.loads(line) for line in f if line.strip()]
    return movies[:limit] if limit else movies


def movie_text(m):
    return f"{m['title']} ({m['year']}). {', '.join(m['genres'])}. {m['summary']}"


def configure(host, model):
    # Runs in every worker, so the globals are set under any start method.
    global OLLAMA_HOST, OLLAMA_EMBEDDING_MODEL
    OLLAMA_HOST, OLLAMA_EMBEDDING_MODEL = host, model


def process_batch(batch):
    results = []
    for movie in batch:
        # Each process handles multiple movies
        try:
            response = requests.post(
                f"{OLLAMA_HOST}/api/embeddings",
                json={"model": OLLAMA_EMBEDDING_MODEL, "prompt": movie_text(movie)},
                timeout=TIMEOUT,
            )
            results.append((movie.get("id"), response.json()['embedding']))
        except Exception as e:  # the guide's "Error logging": log, go on
            print(f"movie {movie.get('id')}: {e!r}", file=sys.stderr)
            results.append((movie.get("id"), None))
    return results


def main():
    args = parse_args()
    host = args.host.rstrip("/") if "://" in args.host else "http://" + args.host.rstrip("/")
    movies = load_movies(args.input, args.limit)
    batches = [movies[i:i + args.batch_size] for i in range(0, len(movies), args.batch_size)]

    start = time.time()
    with Pool(processes=args.workers, initializer=configure, initargs=(host, args.model)) as pool:
        chunks = pool.map(process_batch, batches)
    results = [{"id": id, "embedding": e} for chunk in chunks for id, e in chunk if e is not None]
    if args.out:
        with open(args.out, "w") as f:
            f.writelines(json.dumps(r) + "\n" for r in results)
    elapsed = time.time() - start

    print("RESULT " + json.dumps({"approach": "multiprocessing", "embedded": len(results),
                                  "failed": len(movies) - len(results),
                                  "seconds": round(elapsed, 3), "per_second": round(len(results) / elapsed, 2)}))


if __name__ == "__main__":
    main()
