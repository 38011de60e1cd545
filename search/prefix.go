package search

import (
	"strings"

	"github.com/salvoembed/salvo"
)

// bgeQuery is the instruction the BGE v1.5, mxbai-embed-large and
// snowflake-arctic-embed v1 model cards put before a retrieval query
// (documents get none).
const bgeQuery = "Represent this sentence for searching relevant passages: "

// prefixes maps a model family, as Ollama names it, to the prefixes its
// model card puts before a document and before a search query: the two
// form a pair. The first match in order wins, so more specific names come
// first.
var prefixes = []struct{ family, document, query string }{
	{"nomic-embed", "search_document: ", "search_query: "}, // nomic-embed-text v1/v1.5/v2
	{"snowflake-arctic-embed2", "", "query: "},             // Arctic Embed 2.0
	{"snowflake-arctic-embed-l-v2", "", "query: "},         //
	{"snowflake-arctic-embed-m-v2", "", "query: "},         //
	{"snowflake-arctic-embed", "", bgeQuery},               // v1 and v1.5
	{"mxbai-embed-large", "", bgeQuery},                    //
	{"bge-m3", "", ""},                                     // needs no instruction
	{"bge-", "", bgeQuery},                                 // bge-large-en-v1.5, bge-base-en-v1.5, bge-small-en-v1.5
	{"e5", "passage: ", "query: "},                         // e5 and multilingual-e5
	{"embeddinggemma", "title: none | text: ", "task: search result | query: "},
	{"qwen3-embedding", "", "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:"},
}

// Prefixes returns the prefixes that model's card puts before a document
// ("search_document: " for nomic-embed-text) and before a search query
// ("search_query: "); both are "" when the model needs none or is not
// known. The model name may carry a namespace and a tag.
func Prefixes(model string) (document, query string) {
	name := strings.ToLower(model)
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	for _, p := range prefixes {
		if strings.HasPrefix(name, p.family) || p.family == "e5" && strings.Contains(name, "e5-") {
			return p.document, p.query
		}
	}
	return "", ""
}

// QueryPrefix returns the prefix that model's card puts before a search
// query ("search_query: " for nomic-embed-text), or "" when the model needs
// none or is not known. It is the half of a pair: see QueryPrefixFor.
func QueryPrefix(model string) string {
	_, q := Prefixes(model)
	return q
}

// QueryPrefixFor returns the prefix to put before a query of collection c,
// symmetric to how its documents were embedded: the model's query prefix
// when c.Prefix is the model's document prefix (both "" for a model whose
// documents get none, such as BGE), and "" otherwise. A collection of
// nomic-embed-text embedded without "search_document: " is searched
// without "search_query: ", so that a query of a record's exact text finds
// it with score 1; a collection that does not record its prefix (made
// before it was kept) counts as embedded with none.
func QueryPrefixFor(c salvo.Collection) string {
	doc, q := Prefixes(c.Model)
	if strings.TrimSpace(c.Prefix) != strings.TrimSpace(doc) {
		return ""
	}
	return q
}

// PrefixPair is how a collection's texts were embedded and how its queries
// are: the document prefix it recorded and the query prefix that goes with
// it.
type PrefixPair struct {
	Document string `json:"document"`
	Query    string `json:"query"`
}

// PrefixesOf is c's pair: its recorded document prefix and QueryPrefixFor.
func PrefixesOf(c salvo.Collection) PrefixPair {
	return PrefixPair{Document: c.Prefix, Query: QueryPrefixFor(c)}
}
