// Command genmovies writes an invented movie catalog shaped like the YTS
// API's records, as JSON lines or as one list_movies.json page.
//
//	go run ./internal/tools/moviegen/cmd/genmovies -n 300 -seed 1 > examples/movies.jsonl
//	go run ./internal/tools/moviegen/cmd/genmovies -n 50 -seed 2 -format yts > examples/yts-list_movies.json
//	go run ./internal/tools/moviegen/cmd/genmovies -n 1000000 > /tmp/big.jsonl
//
// The output depends only on -n, -seed and -format.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/salvoembed/salvo/internal/tools/moviegen"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if err != flag.ErrHelp {
			fmt.Fprintln(os.Stderr, "genmovies:", err)
		}
		os.Exit(2)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("genmovies", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 300, "number of records")
	seed := fs.Int64("seed", 1, "seed; the same seed gives the same catalog")
	format := fs.String("format", "jsonl", "jsonl (one record a line) or yts (a list_movies.json page)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: genmovies [-n N] [-seed S] [-format jsonl|yts] > FILE")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: write the output with a shell redirect", fs.Arg(0))
	}
	switch *format {
	case "jsonl":
		return moviegen.Generate(*seed, *n, stdout)
	case "yts":
		return moviegen.GenerateYTS(*seed, *n, stdout)
	}
	return fmt.Errorf("unknown -format %q: use jsonl or yts", *format)
}
