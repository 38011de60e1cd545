package moviegen_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/salvoembed/salvo/internal/tools/moviegen"
)

func ExampleNew() {
	g := moviegen.New(1)
	for range 3 {
		m := g.Next()
		fmt.Println(m.ID, m.TitleLong, m.Genres)
	}
	// Output:
	// 1 Dusk in Kestrel Bay (1983) [Action History]
	// 2 Return to Sparrow Hollow (2006) [Sci-Fi Sport War]
	// 3 The Orchard III (2024) [Action Adventure]
}

func ExampleGenerate() {
	var buf bytes.Buffer
	if err := moviegen.Generate(1, 100, &buf); err != nil {
		fmt.Println(err)
		return
	}
	// Each line is one record; record 58 repeats record 18's content.
	summaries := map[string]int{}
	sc := bufio.NewScanner(&buf)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m struct {
			ID      int    `json:"id"`
			Summary string `json:"summary"`
		}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			fmt.Println(err)
			return
		}
		if first, seen := summaries[m.Summary]; seen {
			fmt.Printf("record %d has the summary of record %d\n", m.ID, first)
		}
		summaries[m.Summary] = m.ID
	}
	orig, _ := moviegen.DuplicateOf(58)
	fmt.Println("DuplicateOf(58):", orig)
	// Output:
	// record 58 has the summary of record 18
	// DuplicateOf(58): 18
}
