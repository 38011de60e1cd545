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
import sys
import time
from multiprocessing import Pool

import requests

from common import TIMEOUT, host_url, load_movies, movie_text, parser, report, write_results

OLLAMA_HOST = OLLAMA_EMBEDDING_MODEL = None


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
    p = parser(__doc__)
    p.add_argument("--workers", type=int, default=10, help="processes")
    p.add_argument("--batch-size", type=int, default=100, help="movies per process chunk")
    args = p.parse_args()
    movies = load_movies(args.input, args.limit)
    batches = [movies[i:i + args.batch_size] for i in range(0, len(movies), args.batch_size)]

    start = time.time()
    with Pool(processes=args.workers, initializer=configure, initargs=(host_url(args.host), args.model)) as pool:
        chunks = pool.map(process_batch, batches)
    results = [{"id": id, "embedding": e} for chunk in chunks for id, e in chunk if e is not None]
    write_results(args.out, results)
    report("multiprocessing", len(results), len(movies) - len(results), time.time() - start)


if __name__ == "__main__":
    main()
