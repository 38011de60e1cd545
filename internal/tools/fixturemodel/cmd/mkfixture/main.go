// Command mkfixture writes salvo's fixture embedding model: a BERT
// sentence-transformers folder shaped like all-MiniLM-L6-v2 with seeded
// random weights, ready for Ollama to import.
//
//	go run ./internal/tools/fixturemodel/cmd/mkfixture -out DIR [-seed N]
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/salvoembed/salvo/internal/tools/fixturemodel"
)

func main() {
	out := flag.String("out", "", "folder to write the model into (created if missing)")
	seed := flag.Uint64("seed", 1, "seed of the random weights")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: mkfixture -out DIR [-seed N]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := fixturemodel.Write(*out, fixturemodel.DefaultConfig(*seed)); err != nil {
		fmt.Fprintln(os.Stderr, "mkfixture:", err)
		os.Exit(1)
	}
}
