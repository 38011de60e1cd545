package search

import "strings"

// bgeQuery is the instruction the BGE v1.5, mxbai-embed-large and
// snowflake-arctic-embed v1 model cards put before a retrieval query
// (documents get none).
const bgeQuery = "Represent this sentence for searching relevant passages: "

// queryPrefixes maps a model family, as Ollama names it, to the prefix its
// model card puts before a search query. The first match in order wins, so
// more specific names come first.
var queryPrefixes = []struct{ family, prefix string }{
	{"nomic-embed", "search_query: "},                   // nomic-embed-text v1/v1.5/v2: documents "search_document: "
	{"snowflake-arctic-embed2", "query: "},              // Arctic Embed 2.0
	{"snowflake-arctic-embed-l-v2", "query: "},          //
	{"snowflake-arctic-embed-m-v2", "query: "},          //
	{"snowflake-arctic-embed", bgeQuery},                // v1 and v1.5
	{"mxbai-embed-large", bgeQuery},                     //
	{"bge-m3", ""},                                      // needs no instruction
	{"bge-", bgeQuery},                                  // bge-large-en-v1.5, bge-base-en-v1.5, bge-small-en-v1.5
	{"e5", "query: "},                                   // e5 and multilingual-e5: documents "passage: "
	{"embeddinggemma", "task: search result | query: "}, // documents "title: none | text: "
	{"qwen3-embedding", "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:"},
}

// QueryPrefix returns the prefix that model's card puts before a search
// query ("search_query: " for nomic-embed-text), or "" when the model needs
// none or is not known. The model name may carry a namespace and a tag.
func QueryPrefix(model string) string {
	name := strings.ToLower(model)
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	for _, p := range queryPrefixes {
		if strings.HasPrefix(name, p.family) || p.family == "e5" && strings.Contains(name, "e5-") {
			return p.prefix
		}
	}
	return ""
}
