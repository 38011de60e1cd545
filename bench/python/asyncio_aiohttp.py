#!/usr/bin/python3
"""The guide's "3. Async/Await (Recommended for I/O)", the
generate_embeddings_async.py it describes, with its "Future improvements" 1
and 2 applied: asyncio.gather over one task per movie on one
aiohttp.ClientSession, at most --concurrent requests in flight (a
Semaphore), each retried up to max_retries=3 times with 2 ** attempt
seconds of backoff. --skip-existing leaves out movies already in --out and
appends to it.

    asyncio_aiohttp.py --input movies.jsonl --concurrent 10 --skip-existing --out out.jsonl
"""
import asyncio
import json
import os
import sys
import time

import aiohttp

from common import host_url, load_movies, movie_text, parser, report, write_results

OLLAMA_HOST = OLLAMA_EMBEDDING_MODEL = semaphore = None


def existing_ids(path):
    if not path or not os.path.exists(path):
        return set()
    with open(path) as f:
        return {json.loads(line)["id"] for line in f if line.strip()}



async def generate_embedding(session, text):
    async with semaphore:
        async with session.post(
            f"{OLLAMA_HOST}/api/embeddings",
            json={"model": OLLAMA_EMBEDDING_MODEL, "prompt": text}
        ) as response:
            data = await response.json()
            return data['embedding']


async def generate_embedding_with_retry(session, text, max_retries=3):
    for attempt in range(max_retries):
        try:
            return await generate_embedding(session, text)
        except Exception as e:
            print(f"attempt {attempt + 1} for {text[:40]!r}: {e!r}", file=sys.stderr)
            if attempt == max_retries - 1:
                raise
            await asyncio.sleep(2 ** attempt)  # Exponential backoff


async def generate_batch(texts):
    async with aiohttp.ClientSession() as session:
        tasks = [generate_embedding_with_retry(session, text) for text in texts]
        return await asyncio.gather(*tasks, return_exceptions=True)


def main():
    global OLLAMA_HOST, OLLAMA_EMBEDDING_MODEL, semaphore
    p = parser(__doc__)
    p.add_argument("--concurrent", type=int, default=10, help="requests in flight")
    p.add_argument("--skip-existing", action="store_true", help="skip movies whose id is already in --out")
    args = p.parse_args()
    OLLAMA_HOST, OLLAMA_EMBEDDING_MODEL = host_url(args.host), args.model
    semaphore = asyncio.Semaphore(args.concurrent)
    movies = load_movies(args.input, args.limit, existing_ids(args.out) if args.skip_existing else ())

    start = time.time()
    embeddings = asyncio.run(generate_batch([movie_text(m) for m in movies]))
    results = [{"id": m.get("id"), "embedding": e} for m, e in zip(movies, embeddings)
               if not isinstance(e, BaseException)]
    write_results(args.out, results, append=args.skip_existing)
    report("asyncio", len(results), len(movies) - len(results), time.time() - start)


if __name__ == "__main__":
    main()
