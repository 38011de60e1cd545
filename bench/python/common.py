"""What the four guide scripts share and the guide leaves implicit: the
command line, reading the movies, the text of a movie, writing the vectors
out, and the RESULT line bench/compare.sh reads. Each script keeps only its
own approach, as the guide shows it."""
import argparse
import json
import os

TIMEOUT = 60  # seconds per request: the guide's "Timeout handling"


def parser(doc):
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--input", required=True, help="movies, one JSON object per line")
    p.add_argument("--host", default=os.environ.get("OLLAMA_HOST", "http://127.0.0.1:11434"))
    p.add_argument("--model", default="nomic-embed-text")
    p.add_argument("--limit", type=int, default=0, help="embed only the first N movies")
    p.add_argument("--out", help="write {id, embedding} JSON lines here")
    return p


def host_url(host):
    """Accepts host:port without a scheme, as Ollama does."""
    host = host.rstrip("/")
    return host if "://" in host else "http://" + host


def load_movies(path, limit, skip=()):
    with open(path) as f:
        movies = [m for m in map(json.loads, filter(str.strip, f)) if m.get("id") not in skip]
    return movies[:limit] if limit else movies


def movie_text(m):
    return f"{m['title']} ({m['year']}). {', '.join(m['genres'])}. {m['summary']}"


def write_results(path, results, append=False):
    if path:
        with open(path, "a" if append else "w") as f:
            f.writelines(json.dumps(r) + "\n" for r in results)


def report(approach, embedded, failed, elapsed):
    print("RESULT " + json.dumps({"approach": approach, "embedded": embedded, "failed": failed,
                                  "seconds": round(elapsed, 3), "per_second": round(embedded / elapsed, 2)}))
